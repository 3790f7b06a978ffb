import type { LogFields, Logger, LogLevel } from "../ports/logger.ts";
import {
  type HistogramDefinition,
  RECONCILE_DURATION,
} from "../domain/metrics/histogram.ts";
import { type MetricsRecorder, observe } from "../ports/metrics.ts";

/**
 * Most counters are the stable log events, counted: services already log
 * every reconcile, delivery, duplicate, notification and job run under a
 * fixed name, so counting them here keeps metrics out of every service's
 * signature and guarantees the two never disagree. This table is the
 * contract: renaming an event renames its metric.
 */
type Rule = (fields: LogFields) => {
  name: string;
  labels?: Record<string, string>;
};

const RULES: Record<string, Rule> = {
  "preferences.updated": () => ({ name: "herald_preference_updates_total" }),
  "reconcile.synced": () => ({
    name: "herald_reconciles_total",
    labels: { outcome: "synced" },
  }),
  "reconcile.pending": () => ({
    name: "herald_reconciles_total",
    labels: { outcome: "pending" },
  }),
  "reconcile.busy": () => ({
    name: "herald_reconciles_total",
    labels: { outcome: "in_progress" },
  }),
  "schedule.created": () => schedule("created"),
  "schedule.updated": () => schedule("updated"),
  "schedule.deleted": () => schedule("deleted"),
  "schedule.paused": () => schedule("paused"),
  "schedule.resumed": () => schedule("resumed"),
  "delivery.received": () => ({ name: "herald_deliveries_total" }),
  "delivery.duplicate": () => ({
    name: "herald_duplicates_dropped_total",
    labels: { source: "delivery" },
  }),
  "notification.duplicate": () => ({
    name: "herald_duplicates_dropped_total",
    labels: { source: "api" },
  }),
  "notification.sent": () => ({ name: "herald_notifications_sent_total" }),
  "job.run": (fields) => ({
    name: "herald_job_runs_total",
    labels: { status: String(fields.status ?? "unknown") },
  }),
};

function schedule(action: string) {
  return { name: "herald_schedule_writes_total", labels: { action } };
}

/**
 * Events that carry a duration (`ms`) also feed a histogram: the same
 * contract as the counters, for time.
 */
const TIMINGS: Record<
  string,
  { histogram: HistogramDefinition; outcome: string }
> = {
  "reconcile.synced": { histogram: RECONCILE_DURATION, outcome: "synced" },
  "reconcile.pending": { histogram: RECONCILE_DURATION, outcome: "pending" },
  "reconcile.busy": { histogram: RECONCILE_DURATION, outcome: "in_progress" },
};

export function countingLogger(
  inner: Logger,
  metrics: MetricsRecorder,
): Logger {
  const log = (level: LogLevel, event: string, fields: LogFields = {}) => {
    const rule = RULES[event];
    if (rule) {
      const { name, labels } = rule(fields);
      metrics.count(name, labels);
    }
    const timing = TIMINGS[event];
    if (timing && typeof fields.ms === "number") {
      observe(
        metrics,
        timing.histogram,
        { outcome: timing.outcome },
        fields.ms / 1000,
      );
    }
    inner.log(level, event, fields);
  };
  return {
    log,
    info: (event, fields) => log("info", event, fields),
    warn: (event, fields) => log("warn", event, fields),
    error: (event, fields) => log("error", event, fields),
    child: (fields) => countingLogger(inner.child(fields), metrics),
  };
}
