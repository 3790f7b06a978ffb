import {
  endpointProblem,
  MAX_SUBSCRIPTIONS_PER_USER,
  type SubscriptionPut,
} from "../../domain/push/subscription.ts";
import type { AppDeps, Background } from "../../deps.ts";
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

type Deps = Pick<
  AppDeps,
  "db" | "now" | "config" | "log" | "scheduler" | "metrics"
>;

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
function requirePush(deps: Deps): void {
  if (!deps.config.push) {
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
export async function putSubscription(
  deps: Deps,
  userId: string,
  input: SubscriptionPut,
  background: Background,
): Promise<SubscriptionView> {
  requirePush(deps);
  const problem = endpointProblem(input.endpoint, deps.config.pushDevOrigin);
  if (problem) {
    throw validationError([{ path: ["endpoint"], message: problem }]);
  }
  const { row, replaced } = await saveSubscription(deps.db, {
    userId,
    endpoint: input.endpoint,
    p256dh: input.keys.p256dh,
    auth: input.keys.auth,
    expirationTime: input.expirationTime,
    label: input.label ?? null,
    oldEndpoint: input.oldEndpoint ?? null,
    now: deps.now(),
    keep: MAX_SUBSCRIPTIONS_PER_USER,
  });
  deps.log.info("push.subscribed", {
    userId,
    origin: new URL(row.endpoint).origin,
  });
  if (replaced.length > 0) {
    deps.metrics.count(
      "herald_push_subscriptions_removed_total",
      { reason: "replaced" },
      replaced.length,
    );
    background(
      emitEvents(deps, subscriptionRemovedEvents(replaced, "replaced")),
    );
  }
  return toView(row);
}

export async function listSubscriptionViews(
  deps: Deps,
  userId: string,
): Promise<SubscriptionView[]> {
  requirePush(deps);
  return (await listSubscriptions(deps.db, userId)).map(toView);
}

export async function removeSubscription(
  deps: Deps,
  userId: string,
  endpoint: string,
): Promise<void> {
  requirePush(deps);
  if (!(await deleteSubscription(deps.db, userId, endpoint))) {
    throw new AppError(
      "not_found",
      "This user has no push subscription at that endpoint",
    );
  }
}
