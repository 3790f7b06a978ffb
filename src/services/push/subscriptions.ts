import type { ServiceContext } from "../../context.ts";
import {
  endpointProblem,
  MAX_SUBSCRIPTIONS_PER_USER,
  type SubscriptionPut,
} from "../../domain/push/subscription.ts";
import { subscriptionRemovedEvents } from "../../domain/webhooks/push_events.ts";
import { emitEvents } from "../webhooks/emit_event.ts";
import { AppError } from "../../errors.ts";
import { validationError } from "../../http/validation.ts";
import {
  deleteSubscription,
  listSubscriptions,
  saveSubscription,
  type SubscriptionRow,
} from "../../store/push/subscription_store.ts";

/** What the API shows of a subscription: never its keys. */
export interface SubscriptionView {
  endpointOrigin: string;
  label: string | null;
  expirationTime: string | null;
  createdAt: string;
  lastSeenAt: string;
}

function toView(row: SubscriptionRow): SubscriptionView {
  return {
    endpointOrigin: new URL(row.endpoint).origin,
    label: row.label,
    expirationTime: row.expirationTime === null
      ? null
      : new Date(row.expirationTime).toISOString(),
    createdAt: new Date(row.createdAt).toISOString(),
    lastSeenAt: new Date(row.lastSeenAt).toISOString(),
  };
}

/** Push must be on (VAPID keys configured) for anything here. */
function requirePush(ctx: ServiceContext): void {
  if (!ctx.config.push) {
    throw new AppError(
      "not_found",
      "Web Push is off: this Herald has no VAPID keys configured",
    );
  }
}

/**
 * `PUT /v1/users/{userId}/push-subscriptions`: one browser's subscription,
 * keyed by its endpoint (a repeat refreshes it: every page load says "last
 * seen"). An endpoint that is not https is a 400 and nothing is stored.
 * The devices it replaces (the `oldEndpoint`, the least recently seen past
 * 20) are told to the host app in the background: `push.subscription.removed`
 * with reason `replaced`.
 */
export async function putSubscription({ ctx, userId, input }: {
  ctx: ServiceContext;
  userId: string;
  input: SubscriptionPut;
}): Promise<SubscriptionView> {
  requirePush(ctx);
  const problem = endpointProblem(input.endpoint, ctx.config.pushDevOrigin);
  if (problem) {
    throw validationError([{ path: ["endpoint"], message: problem }]);
  }
  const { row, replaced } = await saveSubscription(ctx.db, {
    userId,
    endpoint: input.endpoint,
    p256dh: input.keys.p256dh,
    auth: input.keys.auth,
    expirationTime: input.expirationTime,
    label: input.label ?? null,
    oldEndpoint: input.oldEndpoint ?? null,
    now: ctx.now(),
    keep: MAX_SUBSCRIPTIONS_PER_USER,
  });
  ctx.log.info("push.subscribed", {
    userId,
    origin: new URL(row.endpoint).origin,
  });
  if (replaced.length > 0) {
    ctx.metrics.count(
      "herald_push_subscriptions_removed_total",
      { reason: "replaced" },
      replaced.length,
    );
    ctx.background(
      emitEvents({
        ctx,
        events: subscriptionRemovedEvents(replaced, "replaced"),
      }),
    );
  }
  return toView(row);
}

export async function listSubscriptionViews({ ctx, userId }: {
  ctx: ServiceContext;
  userId: string;
}): Promise<SubscriptionView[]> {
  requirePush(ctx);
  return (await listSubscriptions(ctx.db, userId)).map(toView);
}

export async function removeSubscription({ ctx, userId, endpoint }: {
  ctx: ServiceContext;
  userId: string;
  endpoint: string;
}): Promise<void> {
  requirePush(ctx);
  if (!(await deleteSubscription(ctx.db, userId, endpoint))) {
    throw new AppError(
      "not_found",
      "This user has no push subscription at that endpoint",
    );
  }
}
