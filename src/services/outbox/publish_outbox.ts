import type { ServiceContext } from "../../context.ts";
import type { MessageSpec } from "../../ports/scheduler.ts";
import {
  countFailedPublish,
  forgetKept,
  keepMessages,
  oldestKept,
} from "../../store/outbox/outbox_store.ts";
import { encodeBase64UrlBytes } from "../../domain/codecs/base64url.ts";

/** QStash's batch call takes up to 100 messages. */
const BATCH = 100;
/** Batches one maintenance run publishes again, at most. */
const DRAIN_BATCHES = 5;

/**
 * Publishes messages in batches of 100; what QStash does not take (down,
 * refusing) is kept in libSQL for the every-minute maintenance to publish
 * again (`drainOutbox`), so an outage delays them and loses none. Returns
 * how many were kept. Only when libSQL refuses too is a message lost, and
 * that is logged. A kept message may reach QStash twice (it took the call
 * but the answer was lost): callers give messages a deduplication id, or
 * are idempotent at the receiving end.
 */
export async function publishOrKeep({ ctx, kind, specs }: {
  ctx: ServiceContext;
  kind: string;
  specs: readonly MessageSpec[];
}): Promise<{ kept: number }> {
  let kept = 0;
  for (let i = 0; i < specs.length; i += BATCH) {
    const batch = specs.slice(i, i + BATCH);
    try {
      await ctx.scheduler.publishBatch(batch);
    } catch (error) {
      ctx.log.warn("outbox.kept", {
        kind,
        messages: batch.length,
        error: error instanceof Error ? error.name : "unknown",
      });
      const createdAt = ctx.now();
      await keepMessages(
        ctx.db,
        batch.map((spec) => ({
          id: `out_${
            encodeBase64UrlBytes(crypto.getRandomValues(new Uint8Array(12)))
          }`,
          kind,
          spec: JSON.stringify(spec),
          attempts: 1,
          createdAt,
        })),
      );
      ctx.metrics.count("herald_outbox_kept_total", { kind }, batch.length);
      kept += batch.length;
    }
  }
  return { kept };
}

/**
 * Publishes the oldest kept messages again, a batch at a time, and forgets
 * each batch QStash took. Stops at the first refusal (QStash is still down:
 * the next minute tries again) or after a few batches.
 */
export async function drainOutbox(
  { ctx }: { ctx: ServiceContext },
): Promise<{ published: number; left: boolean }> {
  let published = 0;
  for (let b = 0; b < DRAIN_BATCHES; b++) {
    const rows = await oldestKept(ctx.db, BATCH);
    if (rows.length === 0) return { published, left: false };
    const ids = rows.map((r) => r.id);
    try {
      await ctx.scheduler.publishBatch(
        rows.map((r) => JSON.parse(r.spec) as MessageSpec),
      );
    } catch {
      await countFailedPublish(ctx.db, ids);
      return { published, left: true };
    }
    await forgetKept(ctx.db, ids);
    for (const kind of new Set(rows.map((r) => r.kind))) {
      ctx.metrics.count(
        "herald_outbox_published_total",
        { kind },
        rows.filter((r) => r.kind === kind).length,
      );
    }
    published += rows.length;
    if (rows.length < BATCH) return { published, left: false };
  }
  return { published, left: true };
}
