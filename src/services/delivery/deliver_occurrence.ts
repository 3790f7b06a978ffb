import { z } from "zod";
import { encodeBase64Url } from "../../domain/base64url.ts";
import type { OccurrenceBody } from "../../domain/callback_body.ts";
import { deferredBody } from "../../domain/callback_body.ts";
import type { NotificationType } from "../../domain/catalogue.ts";
import {
  inQuietHours,
  type Occurrence,
  occurrenceAt,
  occurrenceKey,
  quietHoursEnd,
} from "../../domain/occurrence.ts";
import type {
  Preferences,
  TypePreference,
  Weekday,
} from "../../domain/preferences.ts";
import { renderTemplate } from "../../domain/template.ts";
import { localParts, zonedInstant } from "../../domain/zoned_time.ts";
import type { AppDeps, Background } from "../../deps.ts";
import { shortId } from "../../domain/log_redaction.ts";
import { WebhookError } from "../../ports/webhook_client.ts";
import { findByIdempotencyKey } from "../../store/notification_store.ts";
import { readStoredPreferences } from "../../store/preferences_store.ts";
import { isGapTwinId } from "../../domain/schedule_plan.ts";
import { recordDeliveryLag } from "./delivery_lag.ts";
import { reconcileUser } from "../preferences/reconcile_user.ts";
import { finishFanOut, storeAndNotify } from "./create_notification.ts";
import { decodeStoredPreferences } from "../preferences/stored_preferences.ts";

export type DeliveryOutcome =
  | { status: "sent"; notificationId: string }
  | { status: "duplicate"; notificationId: string }
  | { status: "deferred"; until: string }
  | { status: "skipped"; reason: string };

export type DeliveryDeps = Pick<
  AppDeps,
  | "db"
  | "cache"
  | "channels"
  | "log"
  | "now"
  | "config"
  | "scheduler"
  | "webhooks"
  | "metrics"
  | "catalogue"
>;
type Deps = DeliveryDeps;

/**
 * Turns a fired per-user schedule (or a deferred occurrence) into exactly
 * one notification per occurrence — user, type, local date and time —
 * however often QStash delivers it. The occurrence is named by when the
 * schedule fired (`firedAt`), never by when the delivery arrived: a retry
 * past midnight or a day late still names its own day. Preferences are
 * re-read: a type or user switched off since produces nothing; quiet hours
 * defer to their end.
 */
export async function deliverOccurrence(
  deps: Deps,
  body: OccurrenceBody,
  via: { scheduleId: string | null; firedAt: number; background: Background },
): Promise<DeliveryOutcome> {
  // A DST gap twin fires once, on its date: plan again so it moves to the
  // next gap (the planner only looks ahead of now), whatever comes of the
  // delivery. Awaited beside it, so the callback's answer means it is done.
  const twin = via.scheduleId !== null && isGapTwinId(via.scheduleId);
  const [outcome] = await Promise.all([
    deliverOnce(deps, body, via.firedAt, via.background),
    twin ? replan(deps, body.userId) : null,
  ]);
  return outcome;
}

/** A failed re-plan leaves the user pending; the cron trigger retries it. */
async function replan(deps: Deps, userId: string): Promise<void> {
  try {
    await reconcileUser(deps, userId);
  } catch {
    deps.log.error("reconcile.failed", { user: shortId(userId) });
  }
}

async function deliverOnce(
  deps: Deps,
  body: OccurrenceBody,
  firedAt: number,
  background: Background,
): Promise<DeliveryOutcome> {
  const skip = skipper(deps, body);
  const [stored, catalogue] = await Promise.all([
    readStoredPreferences(deps.db, body.userId),
    deps.catalogue(),
  ]);
  if (!stored) return skip("no preferences saved");
  const prefs = decodeStoredPreferences(stored.data, catalogue);
  const type = catalogue.get(body.type);
  const typePrefs = stillWanted(prefs, body, type);
  if (typeof typePrefs === "string" || !type) {
    return skip(typeof typePrefs === "string" ? typePrefs : "unknown type");
  }

  const occurrence: Occurrence = body.kind === "deferred" ? body : occurrenceAt(
    firedAt,
    body.userId,
    body.type,
    body.localTime,
    prefs.timezone,
  );
  const weekday = localParts(
    zonedInstant(occurrence.localDate, occurrence.localTime, prefs.timezone),
    prefs.timezone,
  ).weekday;
  if (!typePrefs.days.includes(weekday)) return skip("day removed");
  return await deliverDue(deps, {
    occurrence,
    prefs,
    type,
    weekday,
    deferrable: body.kind === "user-schedule",
  }, background);
}

/**
 * The type's preferences if the user still wants this type at this time,
 * else why not. A critical type is wanted whatever the user switched off.
 */
export function stillWanted(
  prefs: Preferences,
  o: { type: string; localTime: string },
  type: NotificationType | undefined,
): TypePreference | string {
  const typePrefs = prefs.types[o.type];
  if (!type || !typePrefs) return "unknown type";
  if (!type.critical) {
    if (!prefs.enabled) return "notifications switched off";
    if (!typePrefs.enabled) return "type switched off";
  }
  if (!typePrefs.times.includes(o.localTime)) return "time removed";
  return typePrefs;
}

function skipper(deps: Deps, o: { userId: string; type: string }) {
  return (reason: string): DeliveryOutcome => {
    deps.log.info("delivery.skipped", {
      user: shortId(o.userId),
      type: o.type,
      reason,
    });
    return { status: "skipped", reason };
  };
}

/** An occurrence found due, with what delivering it needs. */
export interface DueOccurrence {
  occurrence: Occurrence;
  prefs: Preferences;
  type: NotificationType;
  weekday: Weekday;
  /** False for an occurrence already deferred once (it is now due). */
  deferrable: boolean;
}

/**
 * Delivers one due occurrence, exactly once: a repeat finds it stored (and
 * only finishes its fan-out); inside quiet hours it becomes a QStash
 * message for the hours' end; otherwise its content is rendered and it is
 * stored and pushed to the user's channels. Shared by both placements.
 */
export async function deliverDue(
  deps: Deps,
  due: DueOccurrence,
  background: Background,
): Promise<DeliveryOutcome> {
  const { occurrence, prefs } = due;
  const user = shortId(occurrence.userId);
  const key = occurrenceKey(occurrence);
  // Looked up first so a repeat neither defers nor calls the content webhook.
  const earlier = await findByIdempotencyKey(deps.db, key);
  if (earlier) {
    await finishFanOut(deps, earlier, background);
    deps.log.info("delivery.duplicate", { user, notification: earlier.id });
    return { status: "duplicate", notificationId: earlier.id };
  }

  if (
    due.deferrable && prefs.quietHours &&
    inQuietHours(occurrence.localTime, prefs.quietHours)
  ) {
    const until = quietHoursEnd(occurrence, prefs.quietHours, prefs.timezone);
    await deps.scheduler.publishMessage({
      destination: deps.config.callbackUrl,
      body: deferredBody(occurrence),
      notBefore: until,
      deduplicationId: dedupId(key),
    });
    deps.log.info("delivery.deferred", { user, type: occurrence.type });
    return { status: "deferred", until: new Date(until).toISOString() };
  }

  const content = await renderContent(deps, due);
  const { notification, created } = await storeAndNotify(
    deps,
    {
      type: occurrence.type,
      title: content.title,
      body: content.body,
      severity: due.type.severity,
      data: {
        ...content.data,
        occurrence: {
          localDate: occurrence.localDate,
          localTime: occurrence.localTime,
          timezone: prefs.timezone,
        },
      },
      source: "schedule",
      idempotencyKey: key,
    },
    [`user:${occurrence.userId}`],
    background,
  );
  if (!created) {
    deps.log.info("delivery.duplicate", {
      user,
      notification: notification.id,
    });
    return { status: "duplicate", notificationId: notification.id };
  }
  if (due.deferrable) {
    // Published to the user's channel by now (storeAndNotify awaits it);
    // a deferred occurrence was late on purpose, so it is not measured.
    const firedAt = zonedInstant(
      occurrence.localDate,
      occurrence.localTime,
      prefs.timezone,
    );
    recordDeliveryLag(deps.metrics, firedAt, deps.now(), "published");
  }
  return { status: "sent", notificationId: notification.id };
}

/** QStash ids keep to a safe alphabet; the occurrence key may not. */
function dedupId(key: string): string {
  return "occ-" + encodeBase64Url(key);
}

/**
 * What a content webhook may answer: data for the type's templates
 * (`{{data.key}}`), and a title or body of its own to use instead of them.
 */
const webhookReply = z.object({
  title: z.string().min(1).max(200).optional(),
  body: z.string().max(4000).optional(),
  data: z.record(z.string(), z.unknown()).optional(),
});

interface Content {
  title: string;
  body: string;
  data: Record<string, unknown>;
}

/**
 * The type's templates, filled in; with the host app's content webhook
 * first when the type names one (its data fills `{{data.key}}`, its own
 * title or body wins). A webhook that fails, times out or answers nonsense
 * leaves the templates alone, with nothing for `{{data.…}}`.
 */
async function renderContent(
  deps: Deps,
  due: DueOccurrence,
): Promise<Content> {
  const { occurrence: o, prefs, type } = due;
  let reply: z.output<typeof webhookReply> = {};
  if (type.webhook) {
    try {
      reply = webhookReply.parse(
        await deps.webhooks.post(type.webhook, {
          userId: o.userId,
          type: o.type,
          occurrence: {
            localDate: o.localDate,
            localTime: o.localTime,
            timezone: prefs.timezone,
          },
        }, deps.config.contentWebhookTimeoutMs),
      );
    } catch (error) {
      deps.log.warn("content.fallback", {
        type: o.type,
        // Our own messages only: a zod error could quote the reply.
        reason: error instanceof WebhookError ? error.message : "invalid reply",
      });
    }
  }
  const data = reply.data ?? {};
  const vars = {
    localDate: o.localDate,
    localTime: o.localTime,
    weekday: due.weekday,
    timezone: prefs.timezone,
    userId: o.userId,
    label: type.label,
  };
  return {
    title: reply.title ?? renderTemplate(type.template.title, vars, data),
    body: reply.body ?? renderTemplate(type.template.body, vars, data),
    data,
  };
}
