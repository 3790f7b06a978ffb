import { z } from "zod";
import type { OccurrenceBody } from "../domain/callback_body.ts";
import { deferredBody } from "../domain/callback_body.ts";
import {
  isNotificationTypeId,
  NOTIFICATION_TYPES,
} from "../domain/catalogue.ts";
import {
  inQuietHours,
  type Occurrence,
  occurrenceAt,
  occurrenceKey,
  quietHoursEnd,
} from "../domain/occurrence.ts";
import type { Preferences } from "../domain/preferences.ts";
import { renderTemplate } from "../domain/template.ts";
import { localParts, zonedInstant } from "../domain/zoned_time.ts";
import type { AppDeps, Background } from "../deps.ts";
import { shortId } from "../ports/logger.ts";
import { WebhookError } from "../ports/webhook_client.ts";
import {
  findByIdempotencyKey,
  isInOutbox,
} from "../ports/notification_store.ts";
import { readStoredPreferences } from "../ports/preferences_store.ts";
import { isGapTwinId } from "../domain/schedule_plan.ts";
import { recordDeliveryLag } from "./delivery_lag.ts";
import { fanOut } from "./fan_out.ts";
import { reconcileUser } from "./reconcile_user.ts";
import { storeAndNotify } from "./create_notification.ts";
import { decodeStoredPreferences } from "./stored_preferences.ts";

export type DeliveryOutcome =
  | { status: "sent"; notificationId: string }
  | { status: "duplicate"; notificationId: string }
  | { status: "deferred"; until: string }
  | { status: "skipped"; reason: string };

type Deps = Pick<
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
>;

/**
 * Turns a fired schedule (or a deferred occurrence) into exactly one
 * notification per occurrence — user, type, local date and time — however
 * often QStash delivers it. Preferences are re-read: a type or user switched
 * off since produces nothing; quiet hours defer to their end.
 */
export async function deliverOccurrence(
  deps: Deps,
  body: OccurrenceBody,
  via: { scheduleId: string | null; background: Background },
): Promise<DeliveryOutcome> {
  // A DST gap twin fires once, on its date: plan again so it moves to the
  // next gap (the planner only looks ahead of now), whatever comes of the
  // delivery. Awaited beside it, so the callback's answer means it is done.
  const twin = via.scheduleId !== null && isGapTwinId(via.scheduleId);
  const [outcome] = await Promise.all([
    deliverOnce(deps, body, via.background),
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
  background: Background,
): Promise<DeliveryOutcome> {
  const user = shortId(body.userId);
  const skip = (reason: string): DeliveryOutcome => {
    deps.log.info("delivery.skipped", { user, type: body.type, reason });
    return { status: "skipped", reason };
  };
  const stored = await readStoredPreferences(deps.db, body.userId);
  if (!stored) return skip("no preferences saved");
  const prefs = decodeStoredPreferences(stored.data);
  if (!prefs.enabled) return skip("notifications switched off");
  if (!isNotificationTypeId(body.type)) return skip("unknown type");
  const typePrefs = prefs.types[body.type];
  if (!typePrefs.enabled) return skip("type switched off");
  if (!typePrefs.times.includes(body.localTime)) return skip("time removed");

  const occurrence: Occurrence = body.kind === "deferred" ? body : occurrenceAt(
    deps.now(),
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

  const key = occurrenceKey(occurrence);
  const earlier = await findByIdempotencyKey(deps.db, key);
  if (earlier) {
    // Finish what a first attempt may have left half done, then stop.
    if (await isInOutbox(deps.db, earlier.id)) {
      await fanOut(deps, earlier, background);
    }
    deps.log.info("delivery.duplicate", { user, notification: earlier.id });
    return { status: "duplicate", notificationId: earlier.id };
  }

  if (
    body.kind === "user-schedule" && prefs.quietHours &&
    inQuietHours(occurrence.localTime, prefs.quietHours)
  ) {
    const until = quietHoursEnd(occurrence, prefs.quietHours, prefs.timezone);
    await deps.scheduler.publishMessage({
      destination: deps.config.callbackUrl,
      body: deferredBody(occurrence),
      notBefore: until,
      deduplicationId: dedupId(key),
    });
    deps.log.info("delivery.deferred", { user, type: body.type });
    return { status: "deferred", until: new Date(until).toISOString() };
  }

  const content = await renderContent(deps, occurrence, prefs, weekday);
  const { notification, created } = await storeAndNotify(
    deps,
    {
      type: occurrence.type,
      title: content.title,
      body: content.body,
      severity: "medium",
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
  if (body.kind === "user-schedule") {
    // Published to the user's channel by now (storeAndNotify awaits it).
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
  const bytes = new TextEncoder().encode(key);
  return "occ-" + btoa(String.fromCharCode(...bytes))
    .replaceAll("+", "-").replaceAll("/", "_").replaceAll("=", "");
}

const webhookReply = z.object({
  title: z.string().min(1).max(200),
  body: z.string().max(4000).default(""),
  data: z.record(z.string(), z.unknown()).optional(),
});

interface Content {
  title: string;
  body: string;
  data: Record<string, unknown>;
}

/**
 * The host app's content webhook when the type names one, else (or when it
 * fails, times out or answers nonsense) the type's template.
 */
async function renderContent(
  deps: Deps,
  o: Occurrence,
  prefs: Preferences,
  weekday: string,
): Promise<Content> {
  const webhook = deps.config.contentWebhooks[o.type];
  if (webhook) {
    try {
      const reply = webhookReply.parse(
        await deps.webhooks.post(webhook, {
          userId: o.userId,
          type: o.type,
          occurrence: {
            localDate: o.localDate,
            localTime: o.localTime,
            timezone: prefs.timezone,
          },
        }, deps.config.contentWebhookTimeoutMs),
      );
      return { title: reply.title, body: reply.body, data: reply.data ?? {} };
    } catch (error) {
      deps.log.warn("content.fallback", {
        type: o.type,
        // Our own messages only: a zod error could quote the reply.
        reason: error instanceof WebhookError ? error.message : "invalid reply",
      });
    }
  }
  const definition = NOTIFICATION_TYPES.find((t) => t.id === o.type);
  const vars = {
    localDate: o.localDate,
    localTime: o.localTime,
    weekday,
    timezone: prefs.timezone,
    userId: o.userId,
    label: definition?.label ?? o.type,
  };
  return {
    title: renderTemplate(definition?.template.title ?? o.type, vars),
    body: renderTemplate(definition?.template.body ?? "", vars),
    data: {},
  };
}
