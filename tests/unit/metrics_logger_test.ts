import assert from "node:assert/strict";
import { scheduleIdFor } from "../../src/domain/schedules/schedule_plan.ts";
import { createLogger } from "../../src/adapters/json_logger.ts";
import { redactScheduleId } from "../../src/domain/codecs/log_redaction.ts";
import type { MetricsRecorder } from "../../src/ports/metrics.ts";
import { countingLogger } from "../../src/adapters/metrics_logger.ts";

function recorder() {
  const counted: string[] = [];
  const metrics: MetricsRecorder = {
    count: (name, labels = {}) =>
      void counted.push(`${name}${JSON.stringify(labels)}`),
    flushDue: () => false,
    flush: () => Promise.resolve(),
  };
  return { counted, metrics };
}

Deno.test("countingLogger() counts the stable events and still logs every line", () => {
  const lines: string[] = [];
  const { counted, metrics } = recorder();
  const log = countingLogger(createLogger((l) => lines.push(l)), metrics);
  log.info("reconcile.synced", { user: "u_1" });
  log.warn("reconcile.pending", { user: "u_1" });
  log.info("job.run", { job: "daily", status: "failed" });
  log.child({ requestId: "r1" }).info("notification.sent", {});
  log.info("something.else");
  assert.deepEqual(counted, [
    'herald_reconciles_total{"outcome":"synced"}',
    'herald_reconciles_total{"outcome":"pending"}',
    'herald_job_runs_total{"status":"failed"}',
    "herald_notifications_sent_total{}",
  ]);
  assert.equal(lines.length, 5);
  assert.equal(JSON.parse(lines[3]!).requestId, "r1");
});

Deno.test("the logger never writes a user id hidden in a schedule id", () => {
  const lines: string[] = [];
  const log = createLogger((line) => lines.push(line));
  const id = scheduleIdFor("ada@example.com", "taskReminder", "09:30");
  log.info("schedule.created", { schedule: id });
  log.info("schedule.deleted", { schedule: `${id}.dst` });
  const text = lines.join("\n");
  assert.ok(!text.includes(id), text);
  assert.match(text, /herald\.u\.u_[0-9a-f]{8}\.taskReminder\.0930"/);
  assert.match(text, /herald\.u\.u_[0-9a-f]{8}\.taskReminder\.0930\.dst"/);
  assert.equal(redactScheduleId("herald.j.cleanup"), "herald.j.cleanup");
});

Deno.test("a reconcile logged with its duration feeds the reconcile histogram", () => {
  const { counted, metrics } = recorder();
  const log = countingLogger(createLogger(() => {}), metrics);
  log.info("reconcile.synced", { user: "u_1", ms: 12 });
  log.info("reconcile.busy", { user: "u_1" });
  assert.deepEqual(counted, [
    'herald_reconciles_total{"outcome":"synced"}',
    'herald_reconcile_duration_seconds_bucket{"outcome":"synced","le":"0.025"}',
    'herald_reconcile_duration_seconds_sum_microseconds{"outcome":"synced"}',
    'herald_reconciles_total{"outcome":"in_progress"}',
  ]);
});
