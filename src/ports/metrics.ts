import {
  type HistogramDefinition,
  observation,
} from "../domain/metrics/histogram.ts";
import type { Database } from "../store/database.ts";

/**
 * Counters that add up across Worker isolates and Deno processes, flushed
 * to libSQL (`adapters/metrics_recorder.ts`).
 */
export interface MetricsRecorder {
  count(name: string, labels?: Record<string, string>, by?: number): void;
  /** True when deltas wait and the last flush is old enough. */
  flushDue(now: number): boolean;
  /** Adds the pending deltas to libSQL. */
  flush(db: Database, now: number): Promise<void>;
}

/**
 * Records one observation of a histogram as counter deltas (see
 * domain/histogram.ts), so histograms flush and add up like counters.
 * Labels must stay few-valued: route patterns, outcomes, never user ids.
 */
export function observe(
  metrics: Pick<MetricsRecorder, "count">,
  def: HistogramDefinition,
  labels: Record<string, string>,
  seconds: number,
): void {
  for (const delta of observation(def, labels, seconds)) {
    metrics.count(delta.name, delta.labels, delta.by);
  }
}
