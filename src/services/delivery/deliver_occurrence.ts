import { z } from "zod";
import { encodeBase64Url } from "../../domain/codecs/base64url.ts";
import type { OccurrenceBody } from "../../domain/callbacks/callback_body.ts";
import { deferredBody } from "../../domain/callbacks/callback_body.ts";
import type { NotificationType } from "../../domain/catalogue/catalogue.ts";
import {
  inQuietHours,
  type Occurrence,
  occurrenceAt,
  occurrenceKey,
  quietHoursEnd,
} from "../../domain/schedules/occurrence.ts";
import type {
  Preferences,
  TypePreference,
  Weekday,
} from "../../domain/preferences/preferences.ts";
import { renderTemplate } from "../../domain/delivery/template.ts";
import { atMostAtOnce } from "../../domain/concurrency/at_most_at_once.ts";
import { localParts, zonedInstant } from "../../domain/time/zoned_time.ts";
import type { AppDeps, Background } from "../../deps.ts";
import { shortId } from "../../domain/codecs/log_redaction.ts";
import { WebhookError } from "../../ports/webhook_client.ts";
import { findByIdempotencyKeys } from "../../store/notifications/notification_store.ts";
import { readStoredPreferences } from "../../store/preferences/preferences_store.ts";
import { isGapTwinId } from "../../domain/schedules/schedule_plan.ts";
import { recordDeliveryLag } from "./delivery_lag.ts";
import { reconcileUser } from "../preferences/reconcile_user.ts";
import { finishFanOut, storeAndNotifyUsers } from "./create_notification.ts";
import { decodeStoredPreferences } from "../schedules/stored_preferences.ts";

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
 * Delivers one due occurrence, exactly once: `deliverDueMany` for one. A
 * failure to defer it is thrown.
 */
export async function deliverDue(
  deps: Deps,
  due: DueOccurrence,
  background: Background,
): Promise<DeliveryOutcome> {
  const [outcome] = await deliverDueMany(deps, [due], background);
  if (!outcome) throw new Error("No outcome for a due occurrence");
  if (outcome.status === "failed") throw outcome.error;
  return outcome;
}

/** An occurrence whose own delivery failed (its deferral was refused). */
export interface FailedDelivery {
  status: "failed";
  error: unknown;
}

/** Content webhooks called at once, and deferrals per QStash batch call. */
const AT_ONCE = 16;
const BATCH_CALL = 100;

/**
 * Delivers due occurrences, each exactly once, at a cost that does not grow
 * with their number in round trips: one lookup finds those already stored
 * (a repeat only finishes its fan-out), those inside quiet hours become
 * QStash messages for the hours' end (batch calls of 100), and the rest
 * have their content rendered (content webhooks a few at a time) and are
 * stored and sent together (`storeAndNotifyUsers`). Shared by both
 * placements: a per-user schedule delivers one, a slot page hundreds.
 * A store that fails throws for all; a deferral that fails is that
 * occurrence's failure. Answers in the order of `dues`.
 */
export async function deliverDueMany(
  deps: Deps,
  dues: readonly DueOccurrence[],
  background: Background,
): Promise<(DeliveryOutcome | FailedDelivery)[]> {
  const keys = dues.map((due) => occurrenceKey(due.occurrence));
  const outcomes: (DeliveryOutcome | FailedDelivery | null)[] = dues.map(
    () => null,
  );
  // Looked up first so a repeat neither defers nor calls the content webhook.
  const earlier = await findByIdempotencyKeys(deps.db, keys);
  const repeats: number[] = [];
  const deferrals: number[] = [];
  const fresh: number[] = [];
  dues.forEach((due, i) => {
    const { occurrence, prefs } = due;
    if (earlier.has(keys[i] ?? "")) repeats.push(i);
    else if (
      due.deferrable && prefs.quietHours &&
      inQuietHours(occurrence.localTime, prefs.quietHours)
    ) deferrals.push(i);
    else fresh.push(i);
  });

  await atMostAtOnce(repeats, AT_ONCE, async (i) => {
    const stored = earlier.get(keys[i] ?? "");
    const due = dues[i];
    if (!stored || !due) return;
    await finishFanOut(deps, stored, background);
    deps.log.info("delivery.duplicate", {
      user: shortId(due.occurrence.userId),
      notification: stored.id,
    });
    outcomes[i] = { status: "duplicate", notificationId: stored.id };
  });

  for (let start = 0; start < deferrals.length; start += BATCH_CALL) {
    const group = deferrals.slice(start, start + BATCH_CALL);
    const messages = group.flatMap((i) => {
      const due = dues[i];
      const quiet = due?.prefs.quietHours;
      if (!due || !quiet) return [];
      const { occurrence, prefs } = due;
      const until = quietHoursEnd(occurrence, quiet, prefs.timezone);
      return [{ i, until, occurrence }];
    });
    try {
      await deps.scheduler.publishBatch(messages.map((m) => ({
        destination: deps.config.callbackUrl,
        body: deferredBody(m.occurrence),
        notBefore: m.until,
        deduplicationId: dedupId(occurrenceKey(m.occurrence)),
      })));
      for (const m of messages) {
        deps.log.info("delivery.deferred", {
          user: shortId(m.occurrence.userId),
          type: m.occurrence.type,
        });
        outcomes[m.i] = {
          status: "deferred",
          until: new Date(m.until).toISOString(),
        };
      }
    } catch (error) {
      for (const m of messages) outcomes[m.i] = { status: "failed", error };
    }
  }

  const contents: (Content | null)[] = dues.map(() => null);
  await atMostAtOnce(fresh, AT_ONCE, async (i) => {
    const due = dues[i];
    if (due) contents[i] = await renderContent(deps, due);
  });
  const toStore = fresh.flatMap((i) => {
    const due = dues[i];
    const content = contents[i];
    return due && content ? [{ i, due, content }] : [];
  });
  const stored = await storeAndNotifyUsers(
    deps,
    toStore.map(({ due, content }) => ({
      userId: due.occurrence.userId,
      content: {
        type: due.occurrence.type,
        title: content.title,
        body: content.body,
        severity: due.type.severity,
        data: {
          ...content.data,
          occurrence: {
            localDate: due.occurrence.localDate,
            localTime: due.occurrence.localTime,
            timezone: due.prefs.timezone,
          },
        },
        source: "schedule",
        idempotencyKey: occurrenceKey(due.occurrence),
      },
    })),
    background,
  );
  const now = deps.now();
  toStore.forEach(({ i, due }, k) => {
    const result = stored[k];
    if (!result) return;
    const { notification, created } = result;
    if (!created) {
      deps.log.info("delivery.duplicate", {
        user: shortId(due.occurrence.userId),
        notification: notification.id,
      });
      outcomes[i] = { status: "duplicate", notificationId: notification.id };
      return;
    }
    if (due.deferrable) {
      // Published to the user's channel by now (storeAndNotifyUsers awaits
      // it); a deferred occurrence was late on purpose, so it is not measured.
      const { localDate, localTime } = due.occurrence;
      const firedAt = zonedInstant(localDate, localTime, due.prefs.timezone);
      recordDeliveryLag(deps.metrics, firedAt, now, "published");
    }
    outcomes[i] = { status: "sent", notificationId: notification.id };
  });
  return outcomes.map((o) =>
    o ?? { status: "failed", error: new Error("Not delivered") }
  );
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
