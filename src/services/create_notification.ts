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

/**
 * Stores a notification for its audiences and notifies every live
 * subscriber. With an idempotency key the same notification comes back
 * however often it is retried; a retry also finishes a fan-out that an
 * earlier attempt left half done (the outbox says so).
 */
export async function storeAndNotify(
  deps: Deps,
  content: Omit<NewNotification, "id" | "createdAt">,
  audiences: readonly string[],
  background: Background,
): Promise<{ notification: StoredNotification; created: boolean }> {
  const now = deps.now();
  const result = await insertNotification(
    deps.db,
    { ...content, id: newNotificationId(now), createdAt: now },
    audiences,
    now + FANOUT_GRACE_MS,
  );
  if (result.created) await fanOut(deps, result.notification, background);
  else await finishFanOut(deps, result.notification, background);
  return result;
}

/**
 * The rule for a notification that already exists (a retried request or
 * delivery): if an earlier attempt died before its fan-out finished — its
 * outbox row says so — finish it now; channels drop what they already have.
 */
export async function finishFanOut(
  deps: Deps,
  notification: StoredNotification,
  background: Background,
): Promise<void> {
  if (await isInOutbox(deps.db, notification.id)) {
    await fanOut(deps, notification, background);
  }
}

/** `POST /v1/notifications`: create-and-notify for a user, roles or a topic. */
export async function createNotification(
  deps: Deps,
  input: CreateNotificationInput,
  idempotencyKey: string | null,
  background: Background,
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
  );
  if (!created) {
    deps.log.info("notification.duplicate", { notification: notification.id });
  }
  return { notification: toView(notification, null), created };
}
