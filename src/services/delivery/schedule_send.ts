import type { ServiceContext } from "../../context.ts";
import {
  beyondHorizon,
  type DeliverAt,
  type IfPast,
  parseDeliverAt,
  planDelivery,
  type SendStatus,
  sendStatus,
} from "../../domain/delivery/deliver_at.ts";
import {
  formatAudience,
  userAudience,
  userOfAudience,
} from "../../domain/delivery/audience.ts";
import {
  audiencesOf,
  type CreateNotificationInput,
} from "../../domain/delivery/notification.ts";
import { requestFingerprint } from "../../domain/codecs/request_fingerprint.ts";
import { AppError } from "../../errors.ts";
import { preferencesOfUsers } from "../../store/preferences/preferences_store.ts";
import {
  cancelPendingInstants,
  deleteScheduledSend,
  getScheduledSend,
  insertScheduledSend,
  type NewInstant,
  type ScheduledInstant,
  type ScheduledSend,
  type SendContent,
} from "../../store/notifications/scheduled_store.ts";
import { decodeStoredPreferences } from "../schedules/stored_preferences.ts";
import { expiryOf, requestExpiry } from "./create_notification.ts";
import { emitEvents } from "../webhooks/emit_event.ts";
import {
  instantKey,
  instantMessageName,
  scheduledMessage,
} from "./scheduled_message.ts";

/** A send as the API shows it (`{"scheduled": …}`). */
export interface ScheduledView {
  id: string;
  status: SendStatus;
  deliverAt: string;
  ifPast: IfPast;
  instants: {
    at: string;
    recipients: string[];
    status: ScheduledInstant["status"];
  }[];
  skipped: string[];
}

/** QStash's batch call takes up to 100 messages. */
const BATCH = 100;
/** Labels one QStash cancel names (they travel in its query string). */
const CANCEL_BATCH = 50;

/** A `POST /v1/notifications` body with a `deliverAt`. */
export type ScheduleInput = CreateNotificationInput & { deliverAt: string };

/**
 * `POST /v1/notifications` with `deliverAt`: plans when each recipient
 * gets it (a local time in each one's zone — saved preferences, else the
 * default zone), stores the send with one row per distinct instant, and
 * publishes one QStash message per instant (not per recipient). Nothing is
 * rendered or checked against preferences yet: that happens at delivery
 * (deliver_scheduled.ts). The same Idempotency-Key with the same request
 * answers the first send; with another request it is a 422.
 */
export async function scheduleSend({ ctx, input, idempotencyKey }: {
  ctx: ServiceContext;
  input: ScheduleInput;
  idempotencyKey: string | null;
}): Promise<ScheduledView> {
  const deliverAt = parseDeliverAt(input.deliverAt);
  if (!deliverAt) throw new Error("deliverAt passed validation unparsed");
  const ifPast = input.ifPast ?? "now";
  const now = ctx.now();
  const plan = planDelivery({
    deliverAt,
    ifPast,
    recipients: await recipientsOf(ctx, input, deliverAt),
    now,
  });
  const late = beyondHorizon(plan, now);
  if (late !== null) {
    throw new AppError(
      "validation_failed",
      `"deliverAt": ${new Date(late).toISOString()} is more than a year ` +
        "ahead; schedule at most one year out",
      { fields: [{ path: "deliverAt", message: "More than a year ahead" }] },
    );
  }
  const last = plan.instants.at(-1);
  // An instant expiry must come after the last delivery (else its item is
  // born expired); a duration counts from each delivery.
  if (last) expiryOf(input, now, last.at);
  const requestHash = idempotencyKey === null
    ? null
    : await requestFingerprint(input);
  const instants: NewInstant[] = plan.instants.map((i) => ({
    key: instantKey(i.at),
    at: i.at,
    recipients: i.recipients,
    quiet: true,
  }));
  const { send, created } = await insertScheduledSend(ctx.db, {
    id: newSendId(now),
    deliverAt: input.deliverAt,
    ifPast,
    content: contentOf(input),
    skipped: plan.skipped.map(shownName),
    idempotencyKey: idempotencyKey === null ? null : `api:${idempotencyKey}`,
    requestHash,
    createdAt: now,
  }, instants);
  if (!created) {
    if ((send.requestHash ?? requestHash) !== requestHash) {
      throw new AppError(
        "idempotency_key_reused",
        "This Idempotency-Key was first used for a different request; " +
          "retry with the same body to get its send, or send this one " +
          "with a new key",
      );
    }
    return await viewOf({ ctx, id: send.id });
  }
  try {
    for (let i = 0; i < instants.length; i += BATCH) {
      await ctx.scheduler.publishBatch(
        instants.slice(i, i + BATCH).map((instant) =>
          scheduledMessage({ ctx, m: { sendId: send.id, instant, now } })
        ),
      );
    }
  } catch (error) {
    // Messages already out find no send and deliver nothing.
    await deleteScheduledSend(ctx.db, send.id);
    throw error;
  }
  ctx.log.info("schedule.created", {
    scheduled: send.id,
    instants: instants.length,
  });
  return await viewOf({ ctx, id: send.id });
}

/**
 * Who a send goes to, as channel names, each with the zone their local
 * time is read in. Roles and topics resolve their members at delivery, so
 * only an instant reaches them (the request schema refuses a local time).
 */
async function recipientsOf(
  ctx: ServiceContext,
  input: CreateNotificationInput,
  deliverAt: DeliverAt,
): Promise<{ userId: string; timeZone: string }[]> {
  const channels = audiencesOf(input);
  const zone = ctx.config.defaultTimezone;
  if (deliverAt.kind === "instant") {
    return channels.map((c) => ({ userId: formatAudience(c), timeZone: zone }));
  }
  const users = channels.map((c) => c.name);
  const [stored, catalogue] = await Promise.all([
    preferencesOfUsers(ctx.db, users),
    ctx.catalogue(),
  ]);
  const zones = new Map(
    stored.map((s) => [
      s.userId,
      decodeStoredPreferences(s.data, catalogue).timezone,
    ]),
  );
  return users.map((u) => ({
    userId: userAudience(u),
    timeZone: zones.get(u) ?? zone,
  }));
}

function contentOf(input: CreateNotificationInput): SendContent {
  return {
    type: input.type,
    title: input.title,
    body: input.body,
    severity: input.severity,
    data: input.data ?? null,
    expires: requestExpiry(input),
  };
}

function newSendId(now: number): string {
  const random = crypto.randomUUID().replaceAll("-", "").slice(0, 16);
  return `sch_${now.toString(36)}${random}`;
}

/** A user's channel shows as their id; a role's or topic's as its channel. */
function shownName(channel: string): string {
  return userOfAudience(channel) ?? channel;
}

function toView(
  send: ScheduledSend,
  instants: readonly ScheduledInstant[],
): ScheduledView {
  return {
    id: send.id,
    status: sendStatus(instants.map((i) => i.status)),
    deliverAt: send.deliverAt,
    ifPast: send.ifPast,
    instants: instants.map((i) => ({
      at: new Date(i.at).toISOString(),
      recipients: i.recipients.map(shownName),
      status: i.status,
    })),
    skipped: send.skipped,
  };
}

/** `GET /v1/notifications/scheduled/{id}`. */
export async function viewOf({ ctx, id }: {
  ctx: ServiceContext;
  id: string;
}) {
  const found = await getScheduledSend(ctx.db, id);
  if (!found) throw new AppError("not_found", `No scheduled send "${id}"`);
  return toView(found.send, found.instants);
}

/**
 * `DELETE /v1/notifications/scheduled/{id}`: cancels every instant not
 * yet delivered (one conditional update, so an instant whose delivery
 * claimed it first went out and is reported so), then removes the QStash
 * messages of the instants it cancelled — only those: a claimed instant's
 * message may still be retrying its delivery. Cancelling again answers
 * the same; a send that had nothing left to cancel — all delivered — is a
 * 409 naming its instants.
 */
export async function cancelSend({ ctx, id }: {
  ctx: ServiceContext;
  id: string;
}): Promise<ScheduledView> {
  if (!(await getScheduledSend(ctx.db, id))) {
    throw new AppError("not_found", `No scheduled send "${id}"`);
  }
  const cancelled = await cancelPendingInstants(ctx.db, id, ctx.now());
  const view = await viewOf({ ctx, id });
  if (view.status === "delivered") {
    throw new AppError(
      "conflict",
      `Scheduled send "${id}" was already delivered; nothing to cancel`,
      { scheduled: view },
    );
  }
  if (cancelled.length > 0) {
    ctx.log.info("schedule.cancelled", {
      scheduled: id,
      instants: cancelled.length,
    });
    await cancelMessages(ctx, id, cancelled);
    ctx.background(emitEvents({
      ctx,
      events: cancelled.map((i) => ({
        type: "schedule.sent",
        data: {
          scheduledId: id,
          at: new Date(i.at).toISOString(),
          status: "cancelled",
          recipients: i.recipients.length,
        },
      })),
    }));
  }
  return view;
}

/**
 * Removes the QStash messages of cancelled instants. Should QStash not
 * answer, they stay and are delivered: their instants are cancelled, so
 * they make nothing, at the cost of one callback each.
 */
async function cancelMessages(
  ctx: ServiceContext,
  sendId: string,
  instants: readonly ScheduledInstant[],
): Promise<void> {
  const labels = instants.map((i) => instantMessageName(sendId, i.key));
  try {
    for (let i = 0; i < labels.length; i += CANCEL_BATCH) {
      await ctx.scheduler.cancelLabelled(labels.slice(i, i + CANCEL_BATCH));
    }
  } catch {
    ctx.log.warn("schedule.messages_kept", {
      scheduled: sendId,
      instants: labels.length,
    });
  }
}
