import { channelName } from "../domain/channel.ts";
import type {
  CreateNotificationInput,
  NotificationView,
} from "../domain/notification.ts";
import { audiencesOf } from "../domain/notification.ts";
import type { AppDeps, Background } from "../deps.ts";
import {
  insertNotification,
  isInOutbox,
  type NewNotification,
  type StoredNotification,
  toView,
} from "../ports/notification_store.ts";
import { fanOut, FANOUT_GRACE_MS } from "./fan_out.ts";

type Deps = Pick<AppDeps, "db" | "cache" | "channels" | "log" | "now">;

function newNotificationId(now: number): string {
  // Time-ordered (base36 ms) then random, so ids sort roughly by creation.
  const random = crypto.randomUUID().replaceAll("-", "").slice(0, 16);
  return `ntf_${now.toString(36)}${random}`;
}

export interface Created {
  notification: NotificationView;
  /** False when the idempotency key was already used: nothing new exists. */
  created: boolean;
}

/** Marks the end of a phase of a request (for its Server-Timing). */
export type MarkPhase = (phase: string) => void;

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
  deps: Deps,
  content: Omit<NewNotification, "id" | "createdAt">,
  audiences: readonly string[],
  background: Background,
  mark: MarkPhase = () => {},
): Promise<{ notification: StoredNotification; created: boolean }> {
  const now = deps.now();
  const [only] = audiences;
  const oneUser = audiences.length === 1 && only?.startsWith("user:")
    ? only.slice("user:".length)
    : null;
  const result = await insertNotification(
    deps.db,
    { ...content, id: newNotificationId(now), createdAt: now },
    audiences,
    now + FANOUT_GRACE_MS,
    oneUser,
  );
  mark("store");
  if (result.created) {
    await fanOut(deps, result.notification, background, result.unread);
    mark("notify");
  } else if (await isInOutbox(deps.db, result.notification.id)) {
    await fanOut(deps, result.notification, background);
    mark("notify");
  }
  return result;
}

/** `POST /v1/notifications`: create-and-notify for a user, roles or a topic. */
export async function createNotification(
  deps: Deps,
  input: CreateNotificationInput,
  idempotencyKey: string | null,
  background: Background,
  mark?: MarkPhase,
): Promise<Created> {
  const audiences = audiencesOf(input).map(channelName);
  const { notification, created } = await storeAndNotify(
    deps,
    {
      type: input.type,
      title: input.title,
      body: input.body,
      severity: input.severity,
      data: input.data ?? null,
      source: "api",
      idempotencyKey: idempotencyKey === null ? null : `api:${idempotencyKey}`,
    },
    audiences,
    background,
    mark,
  );
  if (!created) {
    deps.log.info("notification.duplicate", { notification: notification.id });
  }
  return { notification: toView(notification, null), created };
}
