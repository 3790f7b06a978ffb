import { badRequest } from "./api_error.ts";
import { parseDurationMs } from "./duration.ts";

/**
 * QStash flow control: messages sharing an `Upstash-Flow-Control-Key` are
 * started at most `parallelism` at a time and at most `rate` per `period`
 * (a second unless given). The SDK sends the limits as
 * `Upstash-Flow-Control-Value: parallelism=10, rate=100, period=1s`.
 */
export interface FlowControl {
  key: string;
  parallelism?: number;
  rate?: number;
  periodMs?: number;
}

const DEFAULT_PERIOD_MS = 1_000;

export function readFlowControl(headers: Headers): FlowControl | undefined {
  const key = headers.get("Upstash-Flow-Control-Key");
  if (key === null || key.trim() === "") return undefined;
  const value = headers.get("Upstash-Flow-Control-Value") ?? "";
  const flow: FlowControl = { key: key.trim() };
  for (const part of value.split(",").map((p) => p.trim()).filter(Boolean)) {
    const [name = "", raw = ""] = part.split("=").map((s) => s.trim());
    if (name === "period") {
      const ms = /^\d+$/.test(raw) ? Number(raw) * 1_000 : parseDurationMs(raw);
      if (ms === undefined || ms <= 0) throw invalid(value);
      flow.periodMs = ms;
    } else if (name === "parallelism" || name === "rate") {
      if (!/^\d+$/.test(raw) || Number(raw) < 1) throw invalid(value);
      flow[name] = Number(raw);
    } else throw invalid(value);
  }
  if (flow.parallelism === undefined && flow.rate === undefined) {
    throw badRequest(
      `invalid Upstash-Flow-Control-Value "${value}": give parallelism or rate`,
    );
  }
  return flow;
}

function invalid(value: string) {
  return badRequest(`invalid Upstash-Flow-Control-Value "${value}"`);
}

/**
 * The dispatcher's bookkeeping per key: attempts in flight, and starts in
 * the current rate window. Messages without a key are never held back.
 */
export class FlowGate {
  readonly #inFlight = new Map<string, number>();
  readonly #windows = new Map<string, { start: number; count: number }>();

  canStart(flow: FlowControl | undefined, nowMs: number): boolean {
    return !flow || this.room(flow, nowMs) > 0;
  }

  /** How many more messages of this key may start now. */
  room(flow: FlowControl, nowMs: number): number {
    const running = this.#inFlight.get(flow.key) ?? 0;
    const byParallelism = flow.parallelism === undefined
      ? Infinity
      : flow.parallelism - running;
    if (flow.rate === undefined) return Math.max(0, byParallelism);
    const window = this.#windows.get(flow.key);
    const periodMs = flow.periodMs ?? DEFAULT_PERIOD_MS;
    const used = !window || nowMs >= window.start + periodMs ? 0 : window.count;
    return Math.max(0, Math.min(byParallelism, flow.rate - used));
  }

  started(flow: FlowControl | undefined, nowMs: number): void {
    if (!flow) return;
    this.#inFlight.set(flow.key, (this.#inFlight.get(flow.key) ?? 0) + 1);
    if (flow.rate === undefined) return;
    const periodMs = flow.periodMs ?? DEFAULT_PERIOD_MS;
    const window = this.#windows.get(flow.key);
    if (!window || nowMs >= window.start + periodMs) {
      this.#windows.set(flow.key, { start: nowMs, count: 1 });
    } else window.count++;
  }

  finished(flow: FlowControl | undefined): void {
    if (!flow) return;
    const running = (this.#inFlight.get(flow.key) ?? 1) - 1;
    if (running > 0) this.#inFlight.set(flow.key, running);
    else this.#inFlight.delete(flow.key);
  }
}
