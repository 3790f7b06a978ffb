import type { ServiceContext } from "../../context.ts";
import { userAudience } from "../../domain/delivery/audience.ts";
import { z } from "zod";
import { encodeBase64Url } from "../../domain/codecs/base64url.ts";
import {
  type FanoutTarget,
  parseStoredJob,
} from "../../domain/jobs/job_definition.ts";
import { chunk, QSTASH_BATCH_LIMIT } from "../../domain/codecs/paging.ts";
import { renderTemplate } from "../../domain/delivery/template.ts";
import { AppError } from "../../errors.ts";
import { getJob } from "../../store/jobs/job_store.ts";
import {
  getRun,
  type JobRun,
  recordRunPage,
  recordUserDelivered,
  recordUserFailed,
} from "../../store/jobs/job_run_store.ts";
import { shortId } from "../../domain/codecs/log_redaction.ts";
import { usersWithTypeOnPage } from "../../store/preferences/preferences_store.ts";
import { WebhookError } from "../../ports/webhook_client.ts";
import { storeAndNotify } from "../delivery/create_notification.ts";
import { emitEvent } from "../webhooks/emit_event.ts";

export interface PageRef {
  jobId: string;
  runId: string;
  page: number;
  after: string | null;
}

function pageBody(ref: PageRef): string {
  return JSON.stringify({ kind: "job-page", ...ref });
}

function userBody(jobId: string, runId: string, userId: string): string {
  return JSON.stringify({ kind: "job-user", jobId, runId, userId });
}

/** QStash ids keep to a safe alphabet; user ids may not. */
function userDedupId(runId: string, userId: string): string {
  return `herald-ju-${runId}-${encodeBase64Url(userId)}`;
}

export async function publishBroadcastPage({ ctx, target, ref }: {
  ctx: ServiceContext;
  target: FanoutTarget;
  ref: PageRef;
}): Promise<JobRun | null> {
  const users = await usersWithTypeOnPage(
    ctx.db,
    target.type,
    ref.after,
    target.pageSize + 1,
  );
  const mine = users.slice(0, target.pageSize);
  const last = mine[mine.length - 1];
  const more = users.length > target.pageSize && last !== undefined;
  if (more) {
    // The next page first: pages then overlap their batch calls.
    await ctx.scheduler.publishMessage({
      destination: ctx.config.callbackUrl,
      body: pageBody({ ...ref, page: ref.page + 1, after: last }),
      deduplicationId: `herald-jp-${ref.runId}-${ref.page + 1}`,
    });
  }
  const flowControl = {
    key: `herald-fanout-${ref.jobId}`,
    parallelism: target.parallelism,
  };
  let duplicates = 0;
  for (const group of chunk(mine, QSTASH_BATCH_LIMIT)) {
    const results = await ctx.scheduler.publishBatch(group.map((userId) => ({
      destination: ctx.config.callbackUrl,
      body: userBody(ref.jobId, ref.runId, userId),
      deduplicationId: userDedupId(ref.runId, userId),
      flowControl,
    })));
    duplicates += results.filter((r) => r.deduplicated).length;
  }
  ctx.log.info("job.page", {
    job: ref.jobId,
    run: ref.runId,
    page: ref.page,
    users: mine.length,
    duplicates,
    last: !more,
  });
  const { run, finished } = await recordRunPage(ctx.db, {
    runId: ref.runId,
    page: ref.page,
    users: mine.length,
    last: !more,
  }, ctx.now());
  if (finished && run) {
    // Every page is out: the run is done as a job run (its users' own
    // messages go on, each retried alone).
    await emitEvent({
      ctx,
      event: {
        type: "job.run.completed",
        data: {
          jobId: run.jobId,
          runId: run.id,
          trigger: run.trigger,
          pages: run.pages,
          published: run.published,
        },
      },
    });
  }
  return run;
}

/** A `job-page` message: the job is re-read, a deleted one stops the run. */
export async function handleBroadcastPage({ ctx, ref }: {
  ctx: ServiceContext;
  ref: PageRef;
}): Promise<{ status: string; page: number }> {
  const target = await fanoutTargetOf(ctx, ref.jobId);
  if (!target) return { status: "skipped", page: ref.page };
  await publishBroadcastPage({ ctx, target, ref });
  return { status: "published", page: ref.page };
}

const generated = z.object({
  title: z.string().trim().min(1).max(200).optional(),
  body: z.string().max(4000).optional(),
  data: z.record(z.string(), z.unknown()).optional(),
});

/**
 * A `job-user` message: this user's notification, exactly once. A failure
 * (the generation webhook down) is recorded and answered with 503 so QStash
 * retries this user alone; everyone else goes on.
 */
export async function handleBroadcastUser({ ctx, msg }: {
  ctx: ServiceContext;
  msg: { jobId: string; runId: string; userId: string };
}): Promise<
  { status: "sent" | "duplicate" | "skipped"; notificationId?: string }
> {
  const [target, run] = await Promise.all([
    fanoutTargetOf(ctx, msg.jobId),
    getRun(ctx.db, msg.runId),
  ]);
  if (!target || !run) return { status: "skipped" };
  const date = new Date(run.startedAt).toISOString().slice(0, 10);
  const vars = { userId: msg.userId, date, jobId: msg.jobId };
  let content = {
    title: renderTemplate(target.title, vars),
    body: renderTemplate(target.body, vars),
    data: {} as Record<string, unknown>,
  };
  if (target.webhook) {
    try {
      const reply = generated.parse(
        await ctx.webhooks.post(target.webhook, {
          jobId: msg.jobId,
          runId: msg.runId,
          userId: msg.userId,
          date,
        }, ctx.config.contentWebhookTimeoutMs),
      );
      content = {
        title: reply.title ?? content.title,
        body: reply.body ?? content.body,
        data: reply.data ?? {},
      };
    } catch (error) {
      // Our own message only: a zod error could quote the reply.
      const reason = error instanceof WebhookError
        ? `webhook ${error.message}`
        : "webhook answered an invalid reply";
      await recordUserFailed(ctx.db, {
        runId: msg.runId,
        userId: msg.userId,
        error: reason,
        now: ctx.now(),
      });
      ctx.log.warn("job.user_failed", {
        job: msg.jobId,
        run: msg.runId,
        user: shortId(msg.userId),
        reason,
      });
      throw new AppError("unavailable", "This user's run failed; retry later");
    }
  }
  const { notification, created } = await storeAndNotify({
    ctx,
    content: {
      type: target.type,
      title: content.title,
      body: content.body,
      severity: target.severity,
      data: { ...content.data, job: { id: msg.jobId, run: msg.runId } },
      source: "job",
      idempotencyKey: `job:${msg.runId}:${msg.userId}`,
    },
    audiences: [userAudience(msg.userId)],
  });
  if (!created) {
    ctx.log.info("delivery.duplicate", {
      user: shortId(msg.userId),
      notification: notification.id,
    });
    return { status: "duplicate", notificationId: notification.id };
  }
  await recordUserDelivered(ctx.db, msg.runId, msg.userId);
  return { status: "sent", notificationId: notification.id };
}

async function fanoutTargetOf(
  ctx: ServiceContext,
  jobId: string,
): Promise<FanoutTarget | null> {
  const row = await getJob(ctx.db, jobId);
  if (!row) return null;
  const { target } = parseStoredJob(row);
  return "builtin" in target && target.builtin === "fanout" ? target : null;
}
