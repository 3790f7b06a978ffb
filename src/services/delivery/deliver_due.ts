import type { ServiceContext } from "../../context.ts";
import { encodeBase64Url } from "../../domain/codecs/base64url.ts";
import { deferredBody } from "../../domain/callbacks/callback_body.ts";
import {
  type DueOccurrence,
  type PlacedDue,
  routeDues,
} from "../../domain/delivery/due_occurrence.ts";
import type { QuietHours } from "../../domain/preferences/preferences.ts";
import {
  occurrenceKey,
  quietHoursEnd,
} from "../../domain/schedules/occurrence.ts";
import { atMostAtOnce } from "../../domain/concurrency/at_most_at_once.ts";
import { zonedInstant } from "../../domain/time/zoned_time.ts";
import { shortId } from "../../domain/codecs/log_redaction.ts";
import {
  findByIdempotencyKeys,
  type StoredNotification,
} from "../../store/notifications/notification_store.ts";
import { recordDeliveryLag } from "./delivery_lag.ts";
import { type Content, renderContent } from "./render_content.ts";
import { finishFanOut, storeAndNotifyUsers } from "./create_notification.ts";

export type DeliveryOutcome =
  | { status: "sent"; notificationId: string }
  | { status: "duplicate"; notificationId: string }
  | { status: "deferred"; until: string }
  | { status: "skipped"; reason: string };

/**
 * Delivers one due occurrence, exactly once: `deliverDueMany` for one. A
 * failure to defer it is thrown.
 */
export async function deliverDue({ ctx, due }: {
  ctx: ServiceContext;
  due: DueOccurrence;
}): Promise<DeliveryOutcome> {
  const [outcome] = await deliverDueMany({ ctx, dues: [due] });
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

/** One step's answer for the due occurrence at `at`. */
export interface Answer {
  at: number;
  outcome: DeliveryOutcome | FailedDelivery;
}

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
export async function deliverDueMany({ ctx, dues }: {
  ctx: ServiceContext;
  dues: readonly DueOccurrence[];
}): Promise<(DeliveryOutcome | FailedDelivery)[]> {
  // Looked up first so a repeat neither defers nor calls the content webhook.
  const earlier = await findByIdempotencyKeys(
    ctx.db,
    dues.map((due) => occurrenceKey(due.occurrence)),
  );
  const routes = routeDues(dues, earlier);
  const answers = [
    ...await finishRepeats({ ctx, repeats: routes.repeats }),
    ...await deferDues({ ctx, deferrals: routes.deferrals }),
    ...await sendFresh({ ctx, fresh: routes.fresh }),
  ];
  return inOrder(dues.length, answers);
}

/** Repeats: a half-done fan-out is finished, and the stored one answered. */
export async function finishRepeats({ ctx, repeats }: {
  ctx: ServiceContext;
  repeats: readonly (PlacedDue & { stored: StoredNotification })[];
}): Promise<Answer[]> {
  const answers: Answer[] = [];
  await atMostAtOnce(repeats, AT_ONCE, async ({ at, due, stored }) => {
    await finishFanOut({ ctx, notification: stored });
    ctx.log.info("delivery.duplicate", {
      user: shortId(due.occurrence.userId),
      notification: stored.id,
    });
    answers.push({
      at,
      outcome: { status: "duplicate", notificationId: stored.id },
    });
  });
  return answers;
}

/**
 * Occurrences inside quiet hours, as QStash messages for the hours' end
 * (deduplicated by the occurrence's key), 100 to a batch call. A call
 * QStash refuses fails the occurrences it carried, and only those.
 */
export async function deferDues({ ctx, deferrals }: {
  ctx: ServiceContext;
  deferrals: readonly (PlacedDue & { quietHours: QuietHours })[];
}): Promise<Answer[]> {
  const answers: Answer[] = [];
  for (let start = 0; start < deferrals.length; start += BATCH_CALL) {
    const group = deferrals.slice(start, start + BATCH_CALL).map((d) => ({
      at: d.at,
      occurrence: d.due.occurrence,
      until: quietHoursEnd(
        d.due.occurrence,
        d.quietHours,
        d.due.prefs.timezone,
      ),
    }));
    try {
      await ctx.scheduler.publishBatch(group.map((m) => ({
        destination: ctx.config.callbackUrl,
        body: deferredBody(m.occurrence),
        notBefore: m.until,
        deduplicationId: dedupId(occurrenceKey(m.occurrence)),
      })));
    } catch (error) {
      answers.push(...group.map(({ at }) => ({
        at,
        outcome: { status: "failed" as const, error },
      })));
      continue;
    }
    for (const { at, occurrence, until } of group) {
      ctx.log.info("delivery.deferred", {
        user: shortId(occurrence.userId),
        type: occurrence.type,
      });
      answers.push({
        at,
        outcome: { status: "deferred", until: new Date(until).toISOString() },
      });
    }
  }
  return answers;
}

/**
 * The rest, delivered now: content rendered (content webhooks a few at a
 * time), then all stored and sent together (`storeAndNotifyUsers`). One a
 * concurrent delivery stored first is a duplicate.
 */
export async function sendFresh({ ctx, fresh }: {
  ctx: ServiceContext;
  fresh: readonly PlacedDue[];
}): Promise<Answer[]> {
  const rendered = await renderAll(ctx, fresh);
  const stored = await storeAndNotifyUsers({
    ctx,
    items: rendered.map(({ due, content }) => ({
      userId: due.occurrence.userId,
      content: notificationOf(due, content),
    })),
  });
  const now = ctx.now();
  return rendered.flatMap(({ at, due }, k): Answer[] => {
    const result = stored[k];
    if (!result) return [];
    const { notification, created } = result;
    if (!created) {
      ctx.log.info("delivery.duplicate", {
        user: shortId(due.occurrence.userId),
        notification: notification.id,
      });
      return [{
        at,
        outcome: { status: "duplicate", notificationId: notification.id },
      }];
    }
    if (due.deferrable) {
      // Published to the user's channel by now (storeAndNotifyUsers awaits
      // it); a deferred occurrence was late on purpose, so it is not measured.
      const { localDate, localTime } = due.occurrence;
      const firedAt = zonedInstant(localDate, localTime, due.prefs.timezone);
      recordDeliveryLag(ctx.metrics, firedAt, now, "published");
    }
    return [{
      at,
      outcome: { status: "sent", notificationId: notification.id },
    }];
  });
}

/** Each occurrence with its content, in the order given. */
async function renderAll(
  ctx: ServiceContext,
  fresh: readonly PlacedDue[],
): Promise<(PlacedDue & { content: Content })[]> {
  const contents = new Map<PlacedDue, Content>();
  await atMostAtOnce(fresh, AT_ONCE, async (placed) => {
    contents.set(placed, await renderContent({ ctx, due: placed.due }));
  });
  return fresh.flatMap((placed) => {
    const content = contents.get(placed);
    return content ? [{ ...placed, content }] : [];
  });
}

/** The inbox notification an occurrence becomes, keyed by the occurrence. */
function notificationOf(due: DueOccurrence, content: Content) {
  return {
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
    source: "schedule" as const,
    idempotencyKey: occurrenceKey(due.occurrence),
  };
}

/** The steps' answers in the order of the dues; one left out was not delivered. */
function inOrder(
  count: number,
  answers: readonly Answer[],
): (DeliveryOutcome | FailedDelivery)[] {
  const byPlace = new Map(answers.map((a) => [a.at, a.outcome]));
  return Array.from(
    { length: count },
    (_, at) =>
      byPlace.get(at) ??
        { status: "failed", error: new Error("Not delivered") },
  );
}

/** QStash ids keep to a safe alphabet; the occurrence key may not. */
function dedupId(key: string): string {
  return "occ-" + encodeBase64Url(key);
}
