import { summarize, type Summary } from "../stats.ts";
import type { SseFleet } from "./sse_fleet.ts";

/**
 * One measured round: arm the fleet for a fresh marker, send whatever
 * carries it (t0 = right before the request goes out), and take each
 * member's arrival time minus t0. Then wait until the fleet has been quiet
 * for a while, so the previous round's background work (unread counts) is
 * not in the next one's figures.
 */
export interface RoundOptions<C = undefined> {
  fleet: SseFleet;
  /** Subscriber indices that must get it; null: the whole fleet. */
  members: readonly number[] | null;
  /** Sends the event carrying `marker`; calls `started(t0)` right before. */
  fire: (
    marker: string,
    started: (t0: number) => void,
    context: C | undefined,
  ) => Promise<{ responseMs: number }>;
  /**
   * The round's marker when the bench cannot choose it freely (it is part
   * of what the server renders); by default a unique string that the fired
   * request must carry into the event.
   */
  markerOf?: () => { marker: string; context: C };
  rounds: number;
  /** Rounds run first and not recorded (JIT, lazily created objects). */
  warmup?: number;
  quietMs?: number;
  /**
   * The server's CPU time (ms): after each round, also wait until it is
   * idle, because a server busy with the previous round's background work
   * may write nothing for longer than `quietMs` (workerd runs every
   * stream's JS before it writes any of them).
   */
  serverCpuMs?: () => number;
  /**
   * Counters read before the request and after the last arrival (CPU time
   * of the server and of this client process, say); deltas are averaged.
   */
  probes?: Record<string, () => number>;
  label: string;
}

export interface RoundRecord {
  /** Request start → first / median / last subscriber, ms. */
  firstMs: number;
  medianMs: number;
  lastMs: number;
  responseMs: number;
  /** Members that never got it (should be 0). */
  missing: number;
  /** Each probe after the last arrival minus before the request. */
  probeDeltas: Record<string, number>;
}

export interface RoundsResult {
  rounds: RoundRecord[];
  /** Every (round, subscriber) delivery: request start → arrival, ms. */
  deliveries: number[];
}

export async function runRounds<C = undefined>(
  opts: RoundOptions<C>,
): Promise<RoundsResult> {
  const records: RoundRecord[] = [];
  const deliveries: number[] = [];
  const total = (opts.warmup ?? 0) + opts.rounds;
  for (let i = 0; i < total; i++) {
    const chosen = opts.markerOf?.();
    const marker = chosen?.marker ??
      `${opts.label}-${i}-${
        crypto.randomUUID().replaceAll("-", "").slice(0, 12)
      }`;
    const wait = opts.fleet.expect(marker, opts.members);
    let t0 = NaN;
    const probeBefore = readProbes(opts.probes);
    let sent: { responseMs: number };
    try {
      sent = await opts.fire(marker, (t) => (t0 = t), chosen?.context);
    } catch (error) {
      // Let the armed expectation run out before giving up the round.
      await wait;
      throw error;
    }
    const arrivals = await wait;
    const probeAfter = readProbes(opts.probes);
    const times: number[] = [];
    for (const at of arrivals.at) if (!Number.isNaN(at)) times.push(at - t0);
    times.sort((a, b) => a - b);
    const expected = arrivals.at.length;
    if (i >= (opts.warmup ?? 0)) {
      records.push({
        firstMs: round2(times[0] ?? NaN),
        medianMs: round2(times[Math.floor(times.length / 2)] ?? NaN),
        lastMs: round2(times[times.length - 1] ?? NaN),
        responseMs: round2(sent.responseMs),
        missing: expected - arrivals.received,
        probeDeltas: Object.fromEntries(
          Object.entries(probeAfter).map((
            [name, value],
          ) => [name, value - (probeBefore[name] ?? 0)]),
        ),
      });
      deliveries.push(...times);
    }
    await opts.fleet.quiet(opts.quietMs ?? 100, 20_000);
    if (opts.serverCpuMs) await idle(opts.serverCpuMs);
    await opts.fleet.quiet(opts.quietMs ?? 100, 20_000);
  }
  return { rounds: records, deliveries };
}

export interface RoundsSummary {
  rounds: number;
  /** Over rounds: the time until the LAST member had it. */
  lastMs: Summary;
  firstMs: Summary;
  /** Over every delivery of every round. */
  deliveriesMs: Summary;
  responseMs: Summary;
  missing: number;
  /** Mean probe delta per round (e.g. CPU ms from request to last arrival). */
  perRound: Record<string, number>;
}

export function summarizeRounds(result: RoundsResult): RoundsSummary {
  const pick = (f: (r: RoundRecord) => number) =>
    summarize(result.rounds.map(f));
  return {
    rounds: result.rounds.length,
    lastMs: pick((r) => r.lastMs),
    firstMs: pick((r) => r.firstMs),
    deliveriesMs: summarize(result.deliveries),
    responseMs: pick((r) => r.responseMs),
    missing: result.rounds.reduce((n, r) => n + r.missing, 0),
    perRound: meanDeltas(result.rounds),
  };
}

/**
 * Until two 100 ms windows in a row cost the server at most 10 ms of CPU
 * (its clock ticks are 10 ms), or 20 s passed.
 */
async function idle(cpuMs: () => number): Promise<void> {
  const deadline = performance.now() + 20_000;
  let calm = 0;
  while (calm < 2 && performance.now() < deadline) {
    const before = cpuMs();
    await new Promise((r) => setTimeout(r, 100));
    calm = cpuMs() - before <= 10 ? calm + 1 : 0;
  }
}

function readProbes(
  probes: Record<string, () => number> | undefined,
): Record<string, number> {
  return Object.fromEntries(
    Object.entries(probes ?? {}).map(([name, read]) => [name, read()]),
  );
}

function meanDeltas(rounds: readonly RoundRecord[]): Record<string, number> {
  const sums: Record<string, number> = {};
  for (const r of rounds) {
    for (const [name, value] of Object.entries(r.probeDeltas)) {
      sums[name] = (sums[name] ?? 0) + value;
    }
  }
  return Object.fromEntries(
    Object.entries(sums).map(([name, sum]) => [
      name,
      round2(sum / Math.max(1, rounds.length)),
    ]),
  );
}

export function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

/** Indices from..from+count-1. */
export function range(from: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => from + i);
}
