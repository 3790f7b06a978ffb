import type { ServiceContext } from "../../context.ts";
import type { SystemBody } from "../../domain/callbacks/callback_body.ts";
import { AppError } from "../../errors.ts";
import type { SignatureClaims } from "../../http/qstash_signature.ts";
import { claimSignedDelivery } from "../../store/jobs/signed_delivery_store.ts";
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
export async function handleSystemCallback({ ctx, body, message }: {
  ctx: ServiceContext;
  body: SystemBody;
  message: {
    messageId: string | null;
    signed: SignatureClaims;
  };
}): Promise<Record<string, unknown>> {
  switch (body.kind) {
    case "job-run": {
      // Named after the message, so QStash's retry (signed afresh) finds
      // this run; but that header is not signed, so the signature's own id
      // is what tells a replay of this very delivery from a retry.
      const { messageId, signed } = message;
      if (
        messageId === null || signed.jti === null || signed.expiresAt === null
      ) {
        throw new AppError(
          "bad_request",
          "A job run needs its Upstash-Message-Id and a signature with an id and an expiry",
        );
      }
      const runId = await claimSignedDelivery(ctx.db, {
        jti: signed.jti,
        runId: `run_${messageId}`,
        expiresAt: signed.expiresAt,
      });
      const run = await runJobById({
        ctx,
        jobId: body.jobId,
        runId,
        trigger: body.trigger,
      });
      if (!run) return { status: "skipped", reason: "no such job" };
      if (run.status === "failed") {
        throw new AppError("unavailable", "The job run failed; retry later");
      }
      return { ...run };
    }
    case "job-page":
      return await handleBroadcastPage({ ctx, ref: body });
    case "job-user":
      return await handleBroadcastUser({ ctx, msg: body });
    case "scheduler-op": {
      const op = await continueOperation({ ctx, id: body.operationId });
      if (op?.status === "failed") {
        throw new AppError("unavailable", "The operation failed; retry later");
      }
      return { ...op };
    }
  }
}
