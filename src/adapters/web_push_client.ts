import { encryptNotification } from "@block65/webcrypto-web-push";
import {
  decodeBase64UrlBytes,
  encodeBase64UrlBytes,
} from "../domain/codecs/base64url.ts";
import {
  vapidClaims,
  type VapidKeys,
  vapidSigningInput,
} from "../domain/push/vapid.ts";
import type {
  PushMessage,
  PushServicePort,
  PushTarget,
} from "../ports/push_service.ts";

/** A push service that has not answered by then is retried later. */
const SEND_TIMEOUT_MS = 10_000;

/** One push as it goes on the wire: its headers and encrypted body. */
export interface SealedPush {
  headers: Record<string, string>;
  body: Uint8Array<ArrayBuffer>;
}

/**
 * Encrypts and signs pushes with Herald's VAPID key: the payload by
 * `@block65/webcrypto-web-push` (RFC 8291), the VAPID token (RFC 8292)
 * here, ES256 over the same claims its `vapidHeaders()` would sign (which
 * refuses the local stack's http endpoints), on the wall clock whatever
 * Herald's own clock says — the push service checks `exp` against real
 * time. The signing key is imported once, not per push.
 */
export function createPushSealer(
  keys: VapidKeys,
): (to: PushTarget, message: PushMessage) => Promise<SealedPush> {
  let signingKey: Promise<CryptoKey> | null = null;
  const key = () => signingKey ??= importSigningKey(keys);
  return async (to, message) => {
    const claims = vapidClaims({
      endpoint: to.endpoint,
      subject: keys.subject,
      nowMs: Date.now(),
    });
    const input = vapidSigningInput(claims);
    const [signature, body] = await Promise.all([
      key().then((k) =>
        crypto.subtle.sign(
          { name: "ECDSA", hash: "SHA-256" },
          k,
          new TextEncoder().encode(input),
        )
      ),
      encryptNotification(
        { endpoint: to.endpoint, expirationTime: null, keys: to },
        new TextEncoder().encode(message.payload),
      ),
    ]);
    const jwt = `${input}.${encodeBase64UrlBytes(new Uint8Array(signature))}`;
    return {
      headers: {
        authorization: `vapid t=${jwt}, k=${keys.publicKey}`,
        "content-encoding": "aes128gcm",
        "content-type": "application/octet-stream",
        ttl: String(message.ttl),
        urgency: message.urgency,
        topic: message.topic,
      },
      body,
    };
  };
}

/** Web Push with WebCrypto alone: each push sealed, then POSTed. */
export function createWebPushClient(keys: VapidKeys): PushServicePort {
  const seal = createPushSealer(keys);
  return {
    async send(to, message) {
      const { headers, body } = await seal(to, message);
      try {
        const res = await fetch(to.endpoint, {
          method: "POST",
          headers,
          body,
          redirect: "manual",
          signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
        });
        await res.body?.cancel();
        return {
          status: res.status,
          retryAfter: res.headers.get("retry-after"),
        };
      } catch {
        return { status: null, retryAfter: null };
      }
    },
  };
}

function importSigningKey(keys: VapidKeys): Promise<CryptoKey> {
  const point = decodeBase64UrlBytes(keys.publicKey);
  if (!point) throw new Error("VAPID_PUBLIC_KEY was not checked at start-up");
  return crypto.subtle.importKey(
    "jwk",
    {
      kty: "EC",
      crv: "P-256",
      x: encodeBase64UrlBytes(point.subarray(1, 33)),
      y: encodeBase64UrlBytes(point.subarray(33, 65)),
      d: keys.privateKey,
    },
    { name: "ECDSA", namedCurve: "P-256" },
    false,
    ["sign"],
  );
}
