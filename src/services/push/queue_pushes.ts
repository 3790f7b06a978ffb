import type { ServiceContext } from "../../context.ts";
import type { Catalogue } from "../../domain/catalogue/catalogue.ts";
import { decodeOverrides } from "../../domain/preferences/preference_overrides.ts";
import type { PreferenceOverrides } from "../../domain/preferences/preferences.ts";
import {
  pushes,
  type PushPolicy,
  pushPolicyFor,
} from "../../domain/push/push_policy.ts";
import type { PushBody } from "../../domain/callbacks/callback_body.ts";
import type { MessageSpec } from "../../ports/scheduler.ts";
import type { StoredNotification } from "../../store/notifications/notification_store.ts";
import { devicesOf } from "../../store/push/subscription_store.ts";
import {
  inQuietHours,
  quietHoursEnd,
} from "../../domain/schedules/occurrence.ts";
import { localParts } from "../../domain/time/zoned_time.ts";
import { publishOrKeep } from "../outbox/publish_outbox.ts";

/** One notification in one user's inbox, and the live connections it reached. */
export interface Delivered {
  notification: StoredNotification;
  userId: string;
  /** `PublishResult.delivered` of the user's own event. */
  live: number;
}

/**
 * Pushes one QStash message carries. Its callback sends them 6 at a time
 * (a Worker request holds 6 outgoing connections), so 50 take about eight
 * round trips to the push services: well inside one callback.
 */
const PUSH_BATCH = 50;

type PushItem = PushBody["items"][number];

/** What a notification's type says about pushing it. */
export function typeRuleOf(n: StoredNotification, catalogue: Catalogue) {
  const type = catalogue.get(n.type);
  if (type) {
    return {
      policy: type.channels.push,
      critical: type.critical,
      typeId: type.id as string | null,
    };
  }
  return { policy: n.push ?? "off", critical: false, typeId: null };
}

/**
 * Whether a notification may be pushed to anyone: push is on, and it is a
 * catalogue type (whose users may switch its push on) or an ad hoc one
 * whose `push` is not `off`. Nobody's preferences are read.
 */
export async function mayPush({ ctx, n }: {
  ctx: ServiceContext;
  n: StoredNotification;
}): Promise<boolean> {
  if (!ctx.config.push) return false;
  const rule = typeRuleOf(n, await ctx.catalogue());
  return rule.typeId !== null || rule.policy !== "off";
}

/**
 * Hands the pushes of notifications just published to QStash, as batches
 * of callbacks to Herald (services/push/send_pushes.ts): never a fetch per
 * push in the request that delivered them (`planPushes`, then
 * `publishPlanned`). Answers how many pushes were queued for each
 * notification (one per device).
 */
export async function queuePushes({ ctx, delivered }: {
  ctx: ServiceContext;
  delivered: readonly Delivered[];
}): Promise<Map<string, number>> {
  const plan = await planPushes({ ctx, delivered });
  await publishPlanned({ ctx, plan });
  return plan.queued;
}

/** Pushes decided and not yet queued. */
export interface PushPlan {
  /** By when they may go: now (undefined), or a quiet-hours end. */
  byTime: Map<number | undefined, PushItem[]>;
  /** Pushes per notification (one per device). */
  queued: Map<string, number>;
}

/**
 * Who is pushed, decided per user from what the publish already knows —
 * `offline` only to the users no live connection took it — with one query
 * reading the remaining users' devices and their preferences. A user
 * inside their quiet hours gets the push at the window's end (QStash's
 * notBefore); a critical type's is never held. Push off (no VAPID keys):
 * nothing.
 */
export async function planPushes({ ctx, delivered }: {
  ctx: ServiceContext;
  delivered: readonly Delivered[];
}): Promise<PushPlan> {
  const plan: PushPlan = { byTime: new Map(), queued: new Map() };
  if (!ctx.config.push || delivered.length === 0) return plan;
  const catalogue = await ctx.catalogue();
  const candidates = delivered.flatMap((d) => {
    const rule = typeRuleOf(d.notification, catalogue);
    // An ad hoc type's push is its own field: off means off. A catalogue
    // type's `off` may be switched on by the user (to `offline`); only an
    // `always` type reaches users who were live.
    if (rule.typeId === null && rule.policy === "off") return [];
    if (rule.policy !== "always" && d.live > 0) return [];
    return [{ ...d, rule }];
  });
  if (candidates.length === 0) return plan;
  const devices = await devicesOf(ctx.db, [
    ...new Set(candidates.map((c) => c.userId)),
  ]);
  const byUser = new Map<
    string,
    { overrides: PreferenceOverrides; endpoints: string[] }
  >();
  for (const device of devices) {
    let entry = byUser.get(device.userId);
    if (!entry) {
      entry = {
        overrides: overridesOf(ctx, device.preferences),
        endpoints: [],
      };
      byUser.set(device.userId, entry);
    }
    entry.endpoints.push(device.endpoint);
  }
  const now = ctx.now();
  for (const { notification, userId, live, rule } of candidates) {
    const user = byUser.get(userId);
    if (!user) continue;
    const policy: PushPolicy = pushPolicyFor({
      type: rule.policy,
      critical: rule.critical,
      userPush: user.overrides.channels?.push ?? true,
      userType: rule.typeId === null
        ? null
        : user.overrides.types?.[rule.typeId]?.channels?.push ?? null,
    });
    if (!pushes(policy, live)) continue;
    const at = rule.critical ? undefined : quietUntil(user.overrides, now);
    const list = plan.byTime.get(at) ?? [];
    for (const endpoint of user.endpoints) {
      list.push({
        notificationId: notification.id,
        userId,
        endpoint,
        withBody: true,
      });
    }
    plan.byTime.set(at, list);
    plan.queued.set(
      notification.id,
      (plan.queued.get(notification.id) ?? 0) + user.endpoints.length,
    );
  }
  return plan;
}

/**
 * Queues a plan's pushes. With `deduplicationId`, each QStash message
 * carries that prefix, its time and its place, so publishing the same plan
 * again (a redelivered page) queues nothing twice.
 */
export async function publishPlanned({ ctx, plan, opts = {} }: {
  ctx: ServiceContext;
  plan: PushPlan;
  opts?: { deduplicationId?: string };
}): Promise<void> {
  for (const [notBefore, items] of plan.byTime) {
    await publishPushes({
      ctx,
      items,
      at: {
        attempt: 0,
        notBefore,
        ...(opts.deduplicationId === undefined ? {} : {
          deduplicationId: `${opts.deduplicationId}-${notBefore ?? "now"}`,
        }),
      },
    });
  }
}

/**
 * When a user's quiet hours end, if `now` falls inside them: the push (not
 * the inbox row, not the live event) waits till then. Undefined: now.
 */
function quietUntil(o: PreferenceOverrides, now: number): number | undefined {
  const quiet = o.quietHours;
  if (!quiet) return undefined;
  const timeZone = o.timezone ?? "UTC";
  const local = localParts(now, timeZone);
  if (!inQuietHours(local.time, quiet)) return undefined;
  return quietHoursEnd(
    { localDate: local.date, localTime: local.time },
    quiet,
    timeZone,
  );
}

/**
 * Queues pushes in batches of PUSH_BATCH, as few QStash calls as it takes;
 * what QStash does not take waits in the outbox for the next minute. With
 * `deduplicationId`, the n-th message carries `<id>-<n>`.
 */
export async function publishPushes({ ctx, items, at }: {
  ctx: ServiceContext;
  items: readonly PushItem[];
  at: {
    attempt: number;
    notBefore: number | undefined;
    deduplicationId?: string;
  };
}): Promise<void> {
  const specs: MessageSpec[] = [];
  for (let i = 0; i < items.length; i += PUSH_BATCH) {
    const body: PushBody = {
      kind: "push",
      attempt: at.attempt,
      items: items.slice(i, i + PUSH_BATCH),
    };
    specs.push({
      destination: ctx.config.callbackUrl,
      body: JSON.stringify(body),
      ...(at.notBefore === undefined ? {} : { notBefore: at.notBefore }),
      ...(at.deduplicationId === undefined
        ? {}
        : { deduplicationId: `${at.deduplicationId}-${i / PUSH_BATCH}` }),
    });
  }
  await publishOrKeep({ ctx, kind: "push", specs });
  if (items.length > 0) {
    ctx.metrics.count(
      at.attempt === 0
        ? "herald_push_queued_total"
        : "herald_push_retried_total",
      {},
      items.length,
    );
  }
}

/** A user's stored choices; unreadable ones push as if never chosen. */
function overridesOf(
  ctx: Pick<ServiceContext, "log">,
  data: string | null,
): PreferenceOverrides {
  if (data === null) return {};
  try {
    return decodeOverrides(data);
  } catch {
    ctx.log.warn("push.preferences_unreadable");
    return {};
  }
}
