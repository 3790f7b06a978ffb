import type { SystemBody } from "../../domain/callbacks/callback_body.ts";
import type { AppDeps, Background } from "../../deps.ts";
import { AppError } from "../../errors.ts";
import {
  handleBroadcastPage,
  handleBroadcastUser,
} from "../jobs/broadcast_job.ts";
import { runJobById } from "../jobs/run_job.ts";
import { continueOperation } from "../control/scheduler_operations.ts";

/**
 * The callback kinds that are not a user's occurrence: system job runs,
 * fan-out pages and users, and scheduler operation continuations. A failure
 * QStash should retry is answered 503; one it should not (the job is gone)
 * is answered 200 with what happened.
 */
export async function handleSystemCallback(
  deps: AppDeps,
  body: SystemBody,
  message: { messageId: string | null; background: Background },
): Promise<Record<string, unknown>> {
  switch (body.kind) {
    case "job-run": {
      // Named after the message, so a redelivery finds this run.
      const runId = `run_${message.messageId ?? crypto.randomUUID()}`;
      const run = await runJobById(deps, body.jobId, runId, body.trigger);
      if (!run) return { status: "skipped", reason: "no such job" };
      if (run.status === "failed") {
        throw new AppError("unavailable", "The job run failed; retry later");
      }
      return { ...run };
    }
    case "job-page":
      return await handleBroadcastPage(deps, body);
    case "job-user":
      return await handleBroadcastUser(deps, body, message.background);
    case "scheduler-op": {
      const op = await continueOperation(deps, body.operationId);
      if (op?.status === "failed") {
        throw new AppError("unavailable", "The operation failed; retry later");
      }
      return { ...op };
    }
  }
}
