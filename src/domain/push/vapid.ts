import {
  decodeBase64UrlBytes,
  encodeBase64Url,
  encodeBase64UrlBytes,
} from "../codecs/base64url.ts";
import { isP256Point, p256PublicKeyOf } from "./p256.ts";

/**
 * Herald's VAPID identity (RFC 8292): a P-256 pair as base64url (the public
 * key a 65-byte uncompressed point, the private key its 32-byte scalar) and
 * the contact push services may write to.
 */
export interface VapidKeys {
  publicKey: string;
  privateKey: string;
  subject: string;
}

/**
 * What is wrong with a VAPID configuration, naming the variable (never its
 * value), or null when it is sound: both keys decode, the public one is on
 * the curve and is the private one's, and the subject is `mailto:` or
 * `https:` (Apple refuses a `mailto:` at `localhost`).
 */
export function vapidKeysProblem(keys: VapidKeys): string | null {
  const pub = decodeBase64UrlBytes(keys.publicKey);
  if (pub === null || !isP256Point(pub)) {
    return "VAPID_PUBLIC_KEY must be the base64url of a 65-byte uncompressed P-256 point";
  }
  const priv = decodeBase64UrlBytes(keys.privateKey);
  const derived = priv && p256PublicKeyOf(priv);
  if (!derived) {
    return "VAPID_PRIVATE_KEY must be the base64url of a 32-byte P-256 private key";
  }
  if (encodeBase64UrlBytes(derived) !== keys.publicKey) {
    return "VAPID_PUBLIC_KEY is not the public key of VAPID_PRIVATE_KEY";
  }
  return subjectProblem(keys.subject);
}

function subjectProblem(subject: string): string | null {
  if (/^mailto:[^@\s]+@[^@\s]+$/.test(subject)) {
    return /@localhost$/i.test(subject)
      ? "VAPID_SUBJECT must not be an address at localhost (Apple refuses it)"
      : null;
  }
  if (URL.canParse(subject) && new URL(subject).protocol === "https:") {
    return null;
  }
  return 'VAPID_SUBJECT must be a "mailto:" address or an "https:" URL';
}

/** How long a VAPID token is good for: RFC 8292 allows at most 24 hours. */
export const VAPID_TOKEN_SECONDS = 12 * 60 * 60;

export interface VapidClaims {
  aud: string;
  exp: number;
  sub: string;
}

/**
 * The claims of the token for one push: the endpoint's origin as audience,
 * an expiry on the wall clock (the push service checks it against its own),
 * and the subject.
 */
export function vapidClaims(
  o: { endpoint: string; subject: string; nowMs: number },
): VapidClaims {
  return {
    aud: new URL(o.endpoint).origin,
    exp: Math.floor(o.nowMs / 1000) + VAPID_TOKEN_SECONDS,
    sub: o.subject,
  };
}

/** The JWT's signing input (ES256): header and claims, base64url. */
export function vapidSigningInput(claims: VapidClaims): string {
  const header = encodeBase64Url(JSON.stringify({ typ: "JWT", alg: "ES256" }));
  return `${header}.${encodeBase64Url(JSON.stringify(claims))}`;
}
