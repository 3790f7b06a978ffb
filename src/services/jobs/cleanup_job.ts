import type { ServiceContext } from "../../context.ts";
import { splitAudiences } from "../../domain/delivery/audience.ts";
import { deleteExpiredNotifications } from "../../store/notifications/retention_store.ts";
import { pruneDigests } from "../../store/notifications/digest_store.ts";
import { pruneScheduledSends } from "../../store/notifications/scheduled_store.ts";
import { pruneSignedDeliveries } from "../../store/jobs/signed_delivery_store.ts";
import { pruneDeliveries } from "../../store/webhooks/webhook_store.ts";
import { pruneSlotFailures } from "../../store/schedules/slot_failure_store.ts";
import { DELIVERY_RETENTION_MS } from "../../domain/webhooks/delivery_policy.ts";
import { emitEvent } from "../webhooks/emit_event.ts";

const DAY_MS = 86_400_000;
const BATCH = 500;
/** Batches one run may do; the next run picks up the rest. */
const MAX_BATCHES = 40;
/**
 * Members a slot firing could not serve are kept a week: long enough to look
 * into an incident (scheduler status shows the last day's), not forever.
 */
export const SLOT_FAILURE_RETENTION_MS = 7 * DAY_MS;

export interface CleanupResult {
  deleted: number;
  cutoff: string;
  /** Event webhook delivery attempts older than their retention, pruned. */
  webhookAttemptsPruned: number;
  /** Slot failures older than `SLOT_FAILURE_RETENTION_MS`, pruned. */
  slotFailuresPruned: number;
  /** `deliverAt` sends finished before the cutoff, with their instants. */
  scheduledSendsPruned: number;
  /** Digests whose window ended before the cutoff. */
  digestsPruned: number;
  /** True when more expired rows remain for the next run. */
  more: boolean;
}

/**
 * The `cleanup` built-in: deletes notifications older than the retention,
 * and those expired (`expiresAt`) over a day ago — nothing shows them any
 * more; the day keeps them for the `stats` job's count of their day —
 * with their audiences, reads and outbox rows, in bounded batches; and
 * `deliverAt` sends finished, and digests whose window ended, before the
 * same cutoff. Channel replay logs bound themselves; unread-count caches
 * of the affected audiences are invalidated, since an expired unread
 * notification no longer counts. Event webhook attempts and slot failures
 * past their retention go too.
 */
export async function runCleanup({ ctx, retentionDays }: {
  ctx: ServiceContext;
  retentionDays: number;
}): Promise<CleanupResult> {
  const cutoff = ctx.now() - retentionDays * DAY_MS;
  // Signatures expire on the wall clock (their `exp`), not on Herald's.
  await pruneSignedDeliveries(ctx.db, Date.now());
  const webhookAttemptsPruned = await pruneDeliveries(
    ctx.db,
    ctx.now() - DELIVERY_RETENTION_MS,
  );
  const slotFailuresPruned = await pruneSlotFailures(
    ctx.db,
    ctx.now() - SLOT_FAILURE_RETENTION_MS,
  );
  const scheduledSendsPruned = await inBatches(
    (limit) => pruneScheduledSends(ctx.db, cutoff, limit),
  );
  const digestsPruned = await inBatches(
    (limit) => pruneDigests(ctx.db, cutoff, limit),
  );
  let deleted = 0;
  for (let batch = 0; batch < MAX_BATCHES; batch++) {
    const done = await deleteExpiredNotifications(ctx.db, {
      createdBefore: cutoff,
      expiredBefore: ctx.now() - DAY_MS,
    }, BATCH);
    deleted += done.deleted;
    const { users, broadcast } = splitAudiences(done.audiences);
    await Promise.all([
      ctx.cache.invalidate(users),
      ctx.cache.bump(broadcast),
    ]);
    if (done.deleted < BATCH) return await finish(false);
  }
  return await finish(true);

  async function finish(more: boolean): Promise<CleanupResult> {
    const result = {
      deleted,
      cutoff: new Date(cutoff).toISOString(),
      more: more || scheduledSendsPruned.more || digestsPruned.more,
      webhookAttemptsPruned,
      slotFailuresPruned,
      scheduledSendsPruned: scheduledSendsPruned.pruned,
      digestsPruned: digestsPruned.pruned,
    };
    if (deleted > 0) {
      await emitEvent({
        ctx,
        event: {
          type: "notification.expired",
          data: { expired: deleted, createdBefore: result.cutoff },
        },
      });
    }
    return result;
  }
}

/** Runs `prune` batch after batch until one comes back short, or MAX_BATCHES. */
async function inBatches(
  prune: (limit: number) => Promise<number>,
): Promise<{ pruned: number; more: boolean }> {
  let pruned = 0;
  for (let batch = 0; batch < MAX_BATCHES; batch++) {
    const done = await prune(BATCH);
    pruned += done;
    if (done < BATCH) return { pruned, more: false };
  }
  return { pruned, more: true };
}
