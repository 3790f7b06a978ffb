import type { ServiceContext } from "../../context.ts";
import {
  formatAudience,
  userAudience,
  userOfAudience,
} from "../../domain/delivery/audience.ts";
import type {
  CreateNotificationInput,
  NotificationView,
} from "../../domain/delivery/notification.ts";
import { audiencesOf } from "../../domain/delivery/notification.ts";
import { requestFingerprint } from "../../domain/codecs/request_fingerprint.ts";
import {
  type Expiry,
  expiryInstant,
  parseExpiry,
} from "../../domain/delivery/expiry.ts";
import { AppError } from "../../errors.ts";
import { validationError } from "../../http/validation.ts";
import {
  findByIdempotencyKeys,
  insertNotification,
  insertUserNotifications,
  isInOutbox,
  type NewNotification,
  type StoredNotification,
  toView,
  type UserNotification,
} from "../../store/notifications/notification_store.ts";
import { fanOut, FANOUT_GRACE_MS, fanOutToUsers } from "./notify_channels.ts";

export function newNotificationId(now: number): string {
  // Time-ordered (base36 ms) then random, so ids sort roughly by creation.
  const random = crypto.randomUUID().replaceAll("-", "").slice(0, 16);
  return `ntf_${now.toString(36)}${random}`;
}

export interface Created {
  notification: NotificationView;
  /** False when the idempotency key was already used: nothing new exists. */
  created: boolean;
}

/**
 * What a notification is made of before it is stored: `expires` becomes
 * its `expiresAt`, counted from the instant it is stored.
 */
export type NotificationContent =
  & Omit<NewNotification, "id" | "createdAt" | "expiresAt">
  & { expires?: Expiry | null; id?: string };

/** The row to store for `content`, made at `now`. */
function newNotification(
  content: NotificationContent,
  now: number,
): NewNotification {
  const { expires, id, ...rest } = content;
  return {
    ...rest,
    id: id ?? newNotificationId(now),
    createdAt: now,
    expiresAt: expires ? expiryInstant(expires, now) : null,
  };
}

export interface StoreOptions {
  /**
   * False: no push now (a digest's item, pushed once when the digest
   * closes). A fan-out the sweep finishes pushes as usual: a second push
   * then carries the same Topic, and replaces the first on the device.
   */
  push?: boolean;
}

/**
 * Stores a notification for its audiences and notifies every live
 * connection. With an idempotency key the same notification comes back
 * however often it is retried; a retry also finishes a fan-out that an
 * earlier attempt left half done (the outbox says so).
 *
 * Two round trips before the answer: one libSQL batch (the notification,
 * its audiences, its outbox row and — for one user — their new unread
 * count), then the shard and Redis at once (the notification and the count
 * in one request; the cached count invalidated).
 */
export async function storeAndNotify(
  { ctx, content, audiences, push }: StoreOptions & {
    ctx: ServiceContext;
    content: NotificationContent;
    audiences: readonly string[];
  },
): Promise<{ notification: StoredNotification; created: boolean }> {
  const now = ctx.now();
  const [only] = audiences;
  const oneUser = audiences.length === 1 && only !== undefined
    ? userOfAudience(only)
    : null;
  const result = await insertNotification(ctx.db, {
    notification: newNotification(content, now),
    audiences,
    fanoutRetryAt: now + FANOUT_GRACE_MS,
    unreadOf: oneUser,
  });
  ctx.mark("store");
  if (result.created) {
    await fanOut({
      ctx,
      n: result.notification,
      opts: {
        unread: result.unread,
        push,
      },
    });
    ctx.mark("notify");
  } else if (await finishFanOut({ ctx, notification: result.notification })) {
    ctx.mark("notify");
  }
  return result;
}

/** What a notification for one user is made of before it is stored. */
export interface ForUser {
  content: NotificationContent;
  userId: string;
}

/**
 * `storeAndNotify` for many notifications each for one user (a slot
 * page's occurrences): one libSQL batch stores them all and counts each
 * user's unread (`insertUserNotifications`), one fan-out sends them
 * (`fanOutToUsers`). A key already used stores nothing new: that item
 * answers the earlier notification with `created: false`, its half-done
 * fan-out finished. Answers in the order of `items`.
 */
export async function storeAndNotifyUsers({ ctx, items }: {
  ctx: ServiceContext;
  items: readonly ForUser[];
}): Promise<{ notification: StoredNotification; created: boolean }[]> {
  const now = ctx.now();
  const rows: UserNotification[] = items.map(({ content, userId }) => ({
    notification: newNotification(content, now),
    userId,
  }));
  const { created, unread } = await insertUserNotifications(
    ctx.db,
    rows,
    now + FANOUT_GRACE_MS,
  );
  const lost = rows.filter((r) => !created.has(r.notification.id));
  const earlier = await findByIdempotencyKeys(
    ctx.db,
    lost.flatMap((r) => r.notification.idempotencyKey ?? []),
  );
  const stored = rows.map(({ notification, userId }) => {
    if (created.has(notification.id)) {
      return {
        userId,
        notification: { ...notification, audiences: [userAudience(userId)] },
        created: true,
      };
    }
    const key = notification.idempotencyKey;
    const before = key === null ? undefined : earlier.get(key);
    // Only a key already used stores nothing: the batch is one transaction.
    if (!before) throw new Error("A notification was neither stored nor found");
    return { userId, notification: before, created: false };
  });
  await Promise.all([
    fanOutToUsers({
      ctx,
      items: stored.filter((s) => s.created).map((s) => ({
        notification: s.notification,
        userId: s.userId,
        unread: unread.get(s.userId) ?? null,
      })),
    }),
    ...stored.filter((s) => !s.created).map((s) =>
      finishFanOut({ ctx, notification: s.notification })
    ),
  ]);
  return stored.map(({ notification, created }) => ({ notification, created }));
}

/**
 * The rule for a notification that already exists (a retried request or
 * delivery): if an earlier attempt died before its fan-out finished — its
 * outbox row says so — finish it now; shards drop what they already have.
 * True when there was something to finish.
 */
export async function finishFanOut({ ctx, notification }: {
  ctx: ServiceContext;
  notification: StoredNotification;
}): Promise<boolean> {
  if (!(await isInOutbox(ctx.db, notification.id))) return false;
  await fanOut({ ctx, n: notification });
  return true;
}

/** A validated request's `expiresAt`, parsed (null: never expires). */
export function requestExpiry(
  input: Pick<CreateNotificationInput, "expiresAt">,
): Expiry | null {
  if (input.expiresAt === undefined) return null;
  const expiry = parseExpiry(input.expiresAt);
  if (!expiry) throw new Error("expiresAt passed validation unparsed");
  return expiry;
}

/**
 * A request's expiry (null: never); a 400 when, for a notification made at
 * `madeAt`, it is not after `notBefore` (by default, when it is made).
 */
export function expiryOf(
  input: Pick<CreateNotificationInput, "expiresAt">,
  madeAt: number,
  notBefore = madeAt,
): Expiry | null {
  const expiry = requestExpiry(input);
  if (expiry === null) return null;
  const at = expiryInstant(expiry, madeAt);
  if (at <= notBefore) {
    throw new AppError(
      "validation_failed",
      `"expiresAt": ${new Date(at).toISOString()} is not after the ` +
        "notification is delivered",
      { fields: [{ path: "expiresAt", message: "Already past" }] },
    );
  }
  return expiry;
}

/**
 * `POST /v1/notifications`: create-and-notify for a user, roles or a topic.
 * A reused Idempotency-Key answers the notification it first made only for
 * the same request; for a different one it is refused. The key's unique
 * index decides which of two concurrent requests creates: the other finds
 * the winner's row and its fingerprint, so never are both created.
 */
export async function createNotification({ ctx, input, idempotencyKey }: {
  ctx: ServiceContext;
  input: CreateNotificationInput;
  /** The request's `Idempotency-Key`, if it sent one. */
  idempotencyKey: string | null;
}): Promise<Created> {
  if (input.push !== undefined && (await ctx.catalogue()).get(input.type)) {
    throw validationError([{
      path: ["push"],
      message: `"${input.type}" is a catalogue type: its own channels.push ` +
        "decides (push is for ad hoc types)",
    }]);
  }
  const audiences = audiencesOf(input).map(formatAudience);
  const expires = expiryOf(input, ctx.now());
  const requestHash = idempotencyKey === null
    ? null
    : await requestFingerprint(input);
  const { notification, created } = await storeAndNotify({
    ctx,
    content: {
      type: input.type,
      title: input.title,
      body: input.body,
      severity: input.severity,
      data: input.data ?? null,
      push: input.push ?? null,
      source: "api",
      idempotencyKey: idempotencyKey === null ? null : `api:${idempotencyKey}`,
      requestHash,
      expires,
    },
    audiences,
  });
  if (!created) {
    // A row from before fingerprints were kept has none: it is answered.
    const stored = notification.requestHash ?? requestHash;
    if (stored !== requestHash) {
      ctx.log.info("notification.key_reused", {
        notification: notification.id,
      });
      throw new AppError(
        "idempotency_key_reused",
        "This Idempotency-Key was first used for a different request; " +
          "retry with the same body to get its notification, or send " +
          "this one with a new key",
      );
    }
    ctx.log.info("notification.duplicate", { notification: notification.id });
  }
  return { notification: toView(notification, null), created };
}
