import { DELIVERY_LAG } from "../../domain/metrics/histogram.ts";
import { type MetricsRecorder, observe } from "../../ports/metrics.ts";

/**
 * Where in its journey a scheduled notification's lag is measured.
 * `published`: the channel publish returned (Herald measures this today,
 * in deliver_occurrence.ts). `written`: the event was written to a live
 * subscriber — the real-time layer's hook: call this with the occurrence's
 * fire time (carried with the event) when the write completes.
 */
export type LagStage = "published" | "written";

/**
 * Records `herald_delivery_lag_seconds{stage}`: from the time an occurrence
 * was scheduled to fire (`firedAt`, Herald's clock) to `at`.
 */
export function recordDeliveryLag(
  metrics: Pick<MetricsRecorder, "count">,
  firedAt: number,
  at: number,
  stage: LagStage,
): void {
  observe(metrics, DELIVERY_LAG, { stage }, (at - firedAt) / 1000);
}
