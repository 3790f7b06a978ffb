import { QSTASH_CALL_DURATION } from "../domain/metrics/histogram.ts";
import { type MetricsRecorder, observe } from "../ports/metrics.ts";
import type { SchedulerPort } from "../ports/scheduler.ts";

/**
 * The scheduler port with every QStash API call counted by kind and outcome
 * (`herald_qstash_calls_total{call,outcome}`): the figure an operator
 * watches against QStash's quotas and burst limits; and timed
 * (`herald_qstash_call_duration_seconds{call,outcome}`). A 404 the port
 * treats as an answer (deleting or reading a schedule that is gone) is ok.
 */
export function countedScheduler(
  inner: SchedulerPort,
  metrics: MetricsRecorder,
): SchedulerPort {
  const counted = <A extends unknown[], R>(
    call: string,
    fn: (...args: A) => Promise<R>,
  ) =>
  async (...args: A): Promise<R> => {
    const started = performance.now();
    const done = (outcome: "ok" | "error") => {
      metrics.count("herald_qstash_calls_total", { call, outcome });
      observe(
        metrics,
        QSTASH_CALL_DURATION,
        { call, outcome },
        (performance.now() - started) / 1000,
      );
    };
    try {
      const result = await fn(...args);
      done("ok");
      return result;
    } catch (error) {
      done("error");
      throw error;
    }
  };
  return {
    publishMessage: counted("publish", (s) => inner.publishMessage(s)),
    publishBatch: counted("batch", (s) => inner.publishBatch(s)),
    cancelLabelled: counted("cancel", (l) => inner.cancelLabelled(l)),
    upsertSchedule: counted("upsert", (s) => inner.upsertSchedule(s)),
    deleteSchedule: counted("delete", (id) => inner.deleteSchedule(id)),
    pauseSchedule: counted("pause", (id) => inner.pauseSchedule(id)),
    resumeSchedule: counted("resume", (id) => inner.resumeSchedule(id)),
    getSchedule: counted("get", (id) => inner.getSchedule(id)),
    listSchedules: counted("list", () => inner.listSchedules()),
    messageCreatedAt: counted(
      "get message",
      (id) => inner.messageCreatedAt(id),
    ),
    ping: counted("ping", (signal) => inner.ping(signal)),
  };
}
