import { api, apiText } from "./api.ts";
import { lineChart } from "./charts.ts";
import { h, panel, table, when } from "./dom.ts";
import {
  buckets,
  parsePrometheus,
  quantileBetween,
  type Sample,
  total,
} from "./prometheus.ts";

interface Part {
  ok: boolean;
  latencyMs: number;
  configured: boolean;
  error?: string;
}
interface Health {
  status: string;
  checks: Record<string, Part>;
  /** Web Push: on with VAPID keys configured. */
  push: "on" | "off";
  checkedAt: string;
}
interface Realtime {
  channels: { name: string; subscribers: number }[];
  subscribers: number;
  pendingFanouts: number;
}
interface SlotFailure {
  slot: string;
  firedAt: string;
  at: string;
  error: string;
}
interface Status {
  running: boolean;
  activeJobs: number;
  slotFailures: { lastDay: number; latest: SlotFailure | null };
  operation: { kind: string; status: string; phase: string } | null;
}
interface JobRun {
  status: string;
  error: string | null;
  startedAt: string;
}
interface Jobs {
  jobs: { id: string; name: string; lastRun: JobRun | null }[];
}

/** Readings kept for the charts: five minutes at one every five seconds. */
const KEEP = 60;
const EVERY_MS = 5_000;

interface Reading {
  at: number;
  samples: Sample[];
}

/**
 * The live overview: each part's health, connections, the rates and lags
 * the metrics give as time series, QStash calls and failures, and the
 * latest failures Herald recorded — read again every five seconds while
 * the page is shown.
 */
export function overviewPage(root: HTMLElement, signal: AbortSignal) {
  const readings: Reading[] = [];
  const body = h("div", { class: "grid" });
  root.append(body);
  const refresh = async () => {
    const [health, realtime, status, jobs, metrics] = await Promise.all([
      api<Health>("/v1/scheduler/health").catch((e) => e as Error),
      api<Realtime>("/v1/realtime/status").catch((e) => e as Error),
      api<Status>("/v1/scheduler/status?limit=1"),
      api<Jobs>("/v1/scheduler/jobs"),
      apiText("/metrics"),
    ]);
    readings.push({ at: Date.now(), samples: parsePrometheus(metrics) });
    if (readings.length > KEEP) readings.shift();
    if (signal.aborted) return;
    body.replaceChildren(
      healthPanel(health, readings.at(-1)?.samples ?? []),
      livePanel(realtime, status),
      ...chartPanels(readings),
      errorsPanel(jobs, status),
    );
    root.dataset.ready = "true";
  };
  const tick = async () => {
    try {
      await refresh();
    } catch (error) {
      body.replaceChildren(h("p", { class: "error" }, String(error)));
    }
    if (!signal.aborted) setTimeout(tick, EVERY_MS);
  };
  void tick();
}

function healthPanel(
  health: Health | Error,
  samples: readonly Sample[],
): HTMLElement {
  if (health instanceof Error) {
    return panel("Health", h("p", { class: "error" }, health.message));
  }
  const rows = Object.entries(health.checks).map(([name, part]) => [
    name,
    h(
      "span",
      { class: part.ok ? "pill ok" : part.configured ? "pill bad" : "pill" },
      part.ok
        ? "ok"
        : part.configured
        ? part.error ?? "down"
        : "not configured",
    ),
    `${Math.round(part.latencyMs)} ms`,
  ]);
  // Push has nothing to ping: on or off by its keys, and what the push
  // services answered.
  const sent = total(samples, "herald_push_sent_total");
  const failed = total(samples, "herald_push_failed_total");
  rows.push([
    "push",
    h(
      "span",
      {
        id: "push-state",
        class: health.push === "off"
          ? "pill"
          : failed > 0
          ? "pill bad"
          : "pill ok",
      },
      health.push === "off" ? "off (no VAPID keys)" : "on",
    ),
    `${sent} sent, ${failed} failed`,
  ]);
  return panel(
    "Health",
    h(
      "p",
      {},
      "Overall: ",
      h("strong", { id: "health-status" }, health.status),
    ),
    table(["part", "state", "latency"], rows),
  );
}

function livePanel(realtime: Realtime | Error, status: Status): HTMLElement {
  const live = realtime instanceof Error
    ? [h("p", { class: "error" }, realtime.message)]
    : [
      h(
        "p",
        {},
        h("strong", { id: "online" }, realtime.subscribers),
        " online connections on ",
        h("strong", {}, realtime.channels.length),
        " channels; ",
        realtime.pendingFanouts,
        " fan-outs pending",
      ),
    ];
  return panel(
    "Live",
    ...live,
    h(
      "p",
      {},
      "Scheduler ",
      h("strong", { id: "running" }, status.running ? "running" : "stopped"),
      `, ${status.activeJobs} active schedules`,
    ),
    status.operation
      ? h(
        "p",
        {},
        `Operation under way: ${status.operation.kind} (${status.operation.phase})`,
      )
      : null,
  );
}

/** Per-interval figures from consecutive readings of the metrics. */
function chartPanels(readings: readonly Reading[]): HTMLElement[] {
  const pairs = readings.slice(1).map((r, i) => ({
    before: readings[i]!,
    after: r,
  }));
  const perMinute = (name: string, match = {}) =>
    pairs.map(({ before, after }) => {
      const dt = (after.at - before.at) / 60_000;
      return (total(after.samples, name, match) -
        total(before.samples, name, match)) / dt;
    });
  const lag = (q: number) =>
    pairs.map(({ before, after }) =>
      quantileBetween(
        buckets(before.samples, "herald_delivery_lag_seconds"),
        buckets(after.samples, "herald_delivery_lag_seconds"),
        q,
      )
    );
  const last = readings.at(-1)?.samples ?? [];
  const calls = total(last, "herald_qstash_calls_total");
  const failed = total(last, "herald_qstash_calls_total", { outcome: "error" });
  return [
    panel(
      "Notifications",
      lineChart("Sent per minute", [{
        label: "sent",
        colour: "#2a6fdb",
        points: perMinute("herald_notifications_sent_total"),
      }], "/min"),
      h(
        "p",
        { class: "meta" },
        "Total sent: ",
        h(
          "strong",
          { id: "sent-total" },
          total(last, "herald_notifications_sent_total"),
        ),
      ),
    ),
    panel(
      "Delivery lag",
      lineChart("p50 and p99", [
        { label: "p50", colour: "#2a9d5b", points: lag(0.5) },
        { label: "p99", colour: "#d9822b", points: lag(0.99) },
      ], " s"),
    ),
    panel(
      "QStash",
      lineChart("Calls per minute", [
        {
          label: "calls",
          colour: "#6b4fbb",
          points: perMinute("herald_qstash_calls_total"),
        },
        {
          label: "failed",
          colour: "#c0392b",
          points: perMinute("herald_qstash_calls_total", { outcome: "error" }),
        },
      ], "/min"),
      h(
        "p",
        { class: "meta" },
        `${calls} calls, `,
        h("strong", { id: "qstash-failed" }, failed),
        " failed since the metrics began",
      ),
    ),
  ];
}

/**
 * What Herald recorded failing: each job whose last run failed, and the
 * slot firings that could not serve a member in the last day (the latest
 * with its error).
 */
function errorsPanel(jobs: Jobs, status: Status): HTMLElement {
  const failures = jobs.jobs.filter((j) => j.lastRun?.status === "failed");
  const rows = failures.map((j) => [
    `job ${j.name}`,
    when(j.lastRun?.startedAt ?? null),
    j.lastRun?.error ?? "",
  ]);
  const { lastDay, latest } = status.slotFailures;
  if (latest) {
    rows.push([
      `slot ${latest.slot.slice(0, 2)}:${latest.slot.slice(2)} UTC`,
      when(latest.at),
      `${latest.error} (${lastDay} member${
        lastDay === 1 ? "" : "s"
      } not served in the last day)`,
    ]);
  }
  const errors = rows.length === 0
    ? h("p", { class: "meta" }, "No job's last run failed; no slot failed.")
    : table(["what", "when", "error"], rows);
  const section = panel("Last errors", errors);
  section.id = "last-errors";
  return section;
}
