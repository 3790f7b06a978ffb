import assert from "node:assert/strict";
import { z } from "zod";
import type { TestStack } from "./test_stack.ts";

const runResult = z.object({
  run: z.object({
    status: z.string(),
    result: z.object({
      deleted: z.number(),
      scheduledSendsPruned: z.number(),
      digestsPruned: z.number(),
      more: z.boolean(),
    }),
  }),
});

/**
 * Defines the `cleanup` job with this retention and runs it now (its
 * trigger), answering what the run removed.
 */
export async function runCleanupJob(
  stack: TestStack,
  retentionDays: number,
): Promise<z.infer<typeof runResult>["run"]["result"]> {
  const put = await stack.admin("/v1/scheduler/jobs/cleanup", {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      name: "Clean up",
      trigger: { type: "cron", cron: "0 2 * * *", timezone: "UTC" },
      target: { builtin: "cleanup", retentionDays },
    }),
  });
  assert.ok(put.status < 300, await put.clone().text());
  await put.body?.cancel();
  const res = await stack.admin("/v1/scheduler/jobs/cleanup/trigger", {
    method: "POST",
  });
  assert.equal(res.status, 200, await res.clone().text());
  const { run } = runResult.parse(await res.json());
  assert.equal(run.status, "succeeded");
  return run.result;
}
