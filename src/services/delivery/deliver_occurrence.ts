import type { ServiceContext } from "../../context.ts";
import type { OccurrenceBody } from "../../domain/callbacks/callback_body.ts";
import type { NotificationType } from "../../domain/catalogue/catalogue.ts";
import {
  type Occurrence,
  occurrenceAt,
} from "../../domain/schedules/occurrence.ts";
import type {
  Preferences,
  TypePreference,
} from "../../domain/preferences/preferences.ts";
import { localParts, zonedInstant } from "../../domain/time/zoned_time.ts";
import { shortId } from "../../domain/codecs/log_redaction.ts";
import { readStoredPreferences } from "../../store/preferences/preferences_store.ts";
import { isGapTwinId } from "../../domain/schedules/schedule_plan.ts";
import { reconcileUser } from "../preferences/reconcile_user.ts";
import { decodeStoredPreferences } from "../schedules/stored_preferences.ts";
import { deliverDue, type DeliveryOutcome } from "./deliver_due.ts";

/**
 * Turns a fired per-user schedule (or a deferred occurrence) into exactly
 * one notification per occurrence — user, type, local date and time —
 * however often QStash delivers it. The occurrence is named by when the
 * schedule fired (`firedAt`), never by when the delivery arrived: a retry
 * past midnight or a day late still names its own day. Preferences are
 * re-read: a type or user switched off since produces nothing; quiet hours
 * defer to their end.
 */
export async function deliverOccurrence({ ctx, body, via }: {
  ctx: ServiceContext;
  body: OccurrenceBody;
  via: { scheduleId: string | null; firedAt: number };
}): Promise<DeliveryOutcome> {
  // A DST gap twin fires once, on its date: plan again so it moves to the
  // next gap (the planner only looks ahead of now), whatever comes of the
  // delivery. Awaited beside it, so the callback's answer means it is done.
  const twin = via.scheduleId !== null && isGapTwinId(via.scheduleId);
  const [outcome] = await Promise.all([
    deliverOnce(ctx, body, via.firedAt),
    twin ? replan(ctx, body.userId) : null,
  ]);
  return outcome;
}

/** A failed re-plan leaves the user pending; the cron trigger retries it. */
async function replan(ctx: ServiceContext, userId: string): Promise<void> {
  try {
    await reconcileUser({ ctx, userId });
  } catch {
    ctx.log.error("reconcile.failed", { user: shortId(userId) });
  }
}

async function deliverOnce(
  ctx: ServiceContext,
  body: OccurrenceBody,
  firedAt: number,
): Promise<DeliveryOutcome> {
  const skip = skipper(ctx, body);
  const [stored, catalogue] = await Promise.all([
    readStoredPreferences(ctx.db, body.userId),
    ctx.catalogue(),
  ]);
  if (!stored) return skip("no preferences saved");
  const prefs = decodeStoredPreferences(stored.data, catalogue);
  const type = catalogue.get(body.type);
  const typePrefs = stillWanted(prefs, body, type);
  if (typeof typePrefs === "string" || !type) {
    return skip(typeof typePrefs === "string" ? typePrefs : "unknown type");
  }

  const occurrence: Occurrence = body.kind === "deferred"
    ? body
    : occurrenceAt(firedAt, {
      userId: body.userId,
      type: body.type,
      localTime: body.localTime,
      timeZone: prefs.timezone,
    });
  const weekday = localParts(
    zonedInstant(occurrence.localDate, occurrence.localTime, prefs.timezone),
    prefs.timezone,
  ).weekday;
  if (!typePrefs.days.includes(weekday)) return skip("day removed");
  return await deliverDue({
    ctx,
    due: {
      occurrence,
      prefs,
      type,
      weekday,
      deferrable: body.kind === "user-schedule",
    },
  });
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

function skipper(ctx: ServiceContext, o: { userId: string; type: string }) {
  return (reason: string): DeliveryOutcome => {
    ctx.log.info("delivery.skipped", {
      user: shortId(o.userId),
      type: o.type,
      reason,
    });
    return { status: "skipped", reason };
  };
}
