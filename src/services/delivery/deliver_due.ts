import { encodeBase64Url } from "../../domain/codecs/base64url.ts";
import { deferredBody } from "../../domain/callbacks/callback_body.ts";
import type { DueOccurrence } from "../../domain/delivery/due_occurrence.ts";
import {
  inQuietHours,
  occurrenceKey,
  quietHoursEnd,
} from "../../domain/schedules/occurrence.ts";
import { atMostAtOnce } from "../../domain/concurrency/at_most_at_once.ts";
import { zonedInstant } from "../../domain/time/zoned_time.ts";
import type { AppDeps, Background } from "../../deps.ts";
import { shortId } from "../../domain/codecs/log_redaction.ts";
import { findByIdempotencyKeys } from "../../store/notifications/notification_store.ts";
import { recordDeliveryLag } from "./delivery_lag.ts";
import { type Content, renderContent } from "./render_content.ts";
import { finishFanOut, storeAndNotifyUsers } from "./create_notification.ts";

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
