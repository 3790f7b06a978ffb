import type { ServiceContext } from "../../context.ts";
import { userAudience } from "../../domain/delivery/audience.ts";
import type { NotificationType } from "../../domain/catalogue/catalogue.ts";
import {
  type DigestItem,
  type DigestState,
  joinDigest,
  windowMs,
} from "../../domain/delivery/digest.ts";
import type { CreateNotificationInput } from "../../domain/delivery/notification.ts";
import { renderTemplate } from "../../domain/delivery/template.ts";
import { AppError } from "../../errors.ts";
import {
  closeDigestRow,
  type Digest,
  findOpenDigest,
  insertDigest,
  joinAndRevise,
} from "../../store/notifications/digest_store.ts";
import {
  getNotification,
  toView,
} from "../../store/notifications/notification_store.ts";
import { queuePushes } from "../push/queue_pushes.ts";
import { digestCloseBody } from "../../domain/callbacks/callback_body.ts";
import {
  type Created,
  newNotificationId,
  requestExpiry,
  storeAndNotify,
} from "./create_notification.ts";
import { publishRevision } from "./notify_channels.ts";

/** Joins that lost a race to another join read the digest again, this often. */
const ATTEMPTS = 5;

/** A post with a `digestKey`: one user's, for a type with a digest. */
export type DigestInput = CreateNotificationInput & {
  userId: string;
  digestKey: string;
};

/**
 * `POST /v1/notifications` with a `digestKey`: the first post of a user,
 * type and key opens a digest and creates its inbox item at once; later
 * ones inside the type's window join it — the same item updated in place
 * (`data.digest`: count and the first and last ten items; title from the
 * type's template, which may say `{{digest.count}}`), unread again, sent
 * to live streams with the same id. `max` items close it early; the
 * window's end closes it by a QStash message (`closeDigest`).
 */
export async function postToDigest({ ctx, input }: {
  ctx: ServiceContext;
  input: DigestInput;
}): Promise<Created & { joined: boolean }> {
  const type = (await ctx.catalogue()).get(input.type);
  const rule = type?.digest;
  const window = rule ? windowMs(rule.window) : null;
  if (!type || !rule || window === null) {
    throw new AppError(
      "validation_failed",
      `"digestKey": type "${input.type}" has no digest in the catalogue`,
      { fields: [{ path: "digestKey", message: "The type has no digest" }] },
    );
  }
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const now = ctx.now();
    const item: DigestItem = {
      title: input.title,
      body: input.body,
      data: input.data ?? null,
      createdAt: new Date(now).toISOString(),
    };
    const key = { userId: input.userId, type: type.id, key: input.digestKey };
    const open = await findOpenDigest(ctx.db, { ...key, now });
    if (open) {
      const state = joinDigest(open, item);
      const close = state.count >= rule.max;
      const revised = await joinAndRevise(ctx.db, {
        id: open.id,
        fromCount: open.count,
        count: state.count,
        items: state.items,
        close,
      }, {
        id: open.notificationId,
        userId: open.userId,
        ...contentOf(type, input, state),
        at: now,
      });
      if (!revised) continue;
      await publishRevision({
        ctx,
        r: {
          ...revised,
          userId: open.userId,
          revision: state.count,
        },
      });
      if (close) ctx.background(digestClosed(ctx, { ...open, ...state }));
      return {
        notification: toView(revised.notification, null),
        created: false,
        joined: true,
      };
    }
    const digest: Digest = {
      id: `dig_${newNotificationId(now).slice(4)}`,
      ...key,
      notificationId: newNotificationId(now),
      count: 1,
      items: [item],
      status: "open",
      openedAt: now,
      closesAt: now + window,
    };
    if (!(await insertDigest(ctx.db, digest))) continue;
    const content = contentOf(type, input, digest);
    const { notification } = await storeAndNotify({
      ctx,
      content: {
        ...content,
        id: digest.notificationId,
        type: type.id,
        severity: input.severity,
        source: "api",
        idempotencyKey: null,
        expires: requestExpiry(input),
      },
      audiences: [userAudience(input.userId)],
      push: false,
    });
    await ctx.scheduler.publishMessage({
      destination: ctx.config.callbackUrl,
      body: digestCloseBody(digest.id),
      notBefore: digest.closesAt,
      deduplicationId: `dig-${digest.id}`,
    });
    return {
      notification: toView(notification, null),
      created: true,
      joined: false,
    };
  }
  throw new AppError(
    "conflict",
    "The digest changed too often while joining it; retry",
  );
}

/** The digest item's content: the type's templates over the latest post. */
function contentOf(
  type: NotificationType,
  input: CreateNotificationInput,
  state: DigestState,
): { title: string; body: string; data: Record<string, unknown> } {
  const vars = {
    label: type.label,
    userId: input.userId ?? "",
    "digest.count": String(state.count),
  };
  const data = input.data ?? {};
  return {
    title: renderTemplate(type.template.title, vars, data),
    body: renderTemplate(type.template.body, vars, data),
    data: { ...data, digest: { count: state.count, items: state.items } },
  };
}

/** The window of a digest ended (its QStash message): it closes. */
export async function closeDigest({ ctx, digestId }: {
  ctx: ServiceContext;
  digestId: string;
}): Promise<Record<string, unknown>> {
  const closed = await closeDigestRow(ctx.db, digestId);
  if (!closed) return { status: "skipped", reason: "already closed" };
  const pushes = await digestClosed(ctx, closed);
  return { status: "closed", count: closed.count, pushes };
}

/**
 * A digest is complete — its window ended, or `max` items closed it: the
 * one moment to tell the user about the whole of it at once. Its item is
 * pushed from here, once ("30 new comments"), never per post: as any
 * notification of its type, by the user's push policy — `offline` when
 * no connection of theirs is live now (each revision reached those live),
 * held by quiet hours. A failure to queue it is logged, not retried: the
 * digest is closed already, and the inbox has it all.
 */
async function digestClosed(
  ctx: ServiceContext,
  digest: Digest,
): Promise<number> {
  ctx.log.info("digest.closed", {
    digest: digest.id,
    notification: digest.notificationId,
    count: digest.count,
  });
  try {
    const [notification, online] = await Promise.all([
      getNotification(ctx.db, digest.notificationId),
      ctx.channels.online([{ kind: "user", name: digest.userId }]),
    ]);
    if (!notification) return 0;
    const queued = await queuePushes({
      ctx,
      delivered: [{
        notification,
        userId: digest.userId,
        live: online.length,
      }],
    });
    return queued.get(notification.id) ?? 0;
  } catch {
    ctx.log.warn("digest.push_failed", { digest: digest.id });
    return 0;
  }
}
