/**
 * A Web Push service stand-in (RFC 8030 push protocol, RFC 8291 aes128gcm,
 * RFC 8292 VAPID): `startPushServiceStandIn()` serves subscriptions, checks
 * and decrypts pushes, and shows what arrived at `/messages`.
 */
export {
  type PushServiceStandIn,
  type PushServiceStandInOptions,
  startPushServiceStandIn,
} from "./server.ts";
export type { RateLimitControl, RateLimitSettings } from "./rate_limit.ts";
export type { PushSubscriptionJson } from "./push_registry.ts";
