import { z } from "zod";
import { decodeBase64UrlBytes } from "../codecs/base64url.ts";
import { isP256Point } from "./p256.ts";

/** Subscriptions kept per user: the 21st replaces the least recently seen. */
export const MAX_SUBSCRIPTIONS_PER_USER = 20;
/** A subscription no page has refreshed for this long is removed. */
export const SUBSCRIPTION_UNSEEN_MS = 60 * 24 * 60 * 60 * 1000;
/** Browsers' endpoints are a few hundred characters; this bounds a row. */
const MAX_ENDPOINT = 2048;

const bytesOf = (n: number) => (value: string) =>
  decodeBase64UrlBytes(value)?.length === n;

/**
 * What `PushSubscription.toJSON()` gives (`endpoint`, `expirationTime`,
 * `keys`), with an optional `oldEndpoint` (the one a
 * `pushsubscriptionchange` replaced) and a device label. Whether the
 * endpoint's scheme is allowed is `endpointProblem`'s (it depends on the
 * deployment).
 */
export const subscriptionPutSchema = z.strictObject({
  endpoint: z.url().max(MAX_ENDPOINT),
  expirationTime: z.number().int().nonnegative().nullable().default(null),
  keys: z.object({
    p256dh: z.string().refine(
      (v) => {
        const point = decodeBase64UrlBytes(v);
        return point !== null && isP256Point(point);
      },
      "keys.p256dh must be the base64url of a 65-byte uncompressed P-256 point",
    ),
    auth: z.string().refine(
      bytesOf(16),
      "keys.auth must be the base64url of 16 bytes",
    ),
  }),
  oldEndpoint: z.url().max(MAX_ENDPOINT).optional(),
  label: z.string().trim().min(1).max(100).optional(),
});

export type SubscriptionPut = z.output<typeof subscriptionPutSchema>;

/**
 * Why an endpoint cannot be pushed to, or null: it must be https (RFC 8030
 * push resources are), except on the local stack's own push stand-in
 * (`devOrigin`, set only there).
 */
export function endpointProblem(
  endpoint: string,
  devOrigin: string | null,
): string | null {
  const url = new URL(endpoint);
  if (url.protocol === "https:") return null;
  if (devOrigin !== null && url.origin === devOrigin) return null;
  return "The endpoint must be an https: URL";
}
