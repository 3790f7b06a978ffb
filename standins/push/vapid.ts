/**
 * RFC 8292 (VAPID) as a push service checks it: `Authorization: vapid
 * t=<JWT>, k=<key>`, the JWT ES256-signed by `k`, `k` the key the
 * subscription was restricted to, `aud` the endpoint's origin, `exp` in the
 * future and at most 24 h ahead, `sub` a `mailto:` or `https:` contact.
 * RFC 8292 §4.2: absent authentication is a 401, invalid authentication
 * (bad signature or claims, another key) a 403.
 */
import { z } from "zod";
import { decodeBase64url } from "./base64url.ts";
import { isP256Point } from "./p256_point.ts";

type Bytes = Uint8Array<ArrayBuffer>;

const MAX_EXP_AHEAD_S = 24 * 60 * 60;

export interface VapidClaims {
  aud: string;
  exp: number;
  sub: string;
}

export type VapidVerdict =
  | { ok: true; claims: VapidClaims }
  | { ok: false; status: 401 | 403; reason: string };

export interface VapidExpectation {
  /** The subscription's applicationServerKey, 65 bytes. */
  applicationServerKey: Bytes;
  /** The endpoint's origin, scheme://host[:port]. */
  audience: string;
  /** Epoch ms. */
  now: number;
}

const jwtHeader = z.object({ alg: z.literal("ES256") });
const jwtClaims = z.object({
  aud: z.string(),
  exp: z.number().int(),
  sub: z.string().optional(),
});

export async function checkVapid(
  authorization: string | null,
  expect: VapidExpectation,
): Promise<VapidVerdict> {
  const parsed = parseVapidAuthorization(authorization);
  if (!parsed.ok) return { ok: false, status: 401, reason: parsed.reason };
  const forbidden = (reason: string) =>
    ({ ok: false, status: 403, reason }) as const;

  const key = decodeBase64url(parsed.k);
  if (!key || !isP256Point(key)) {
    return forbidden("k is not a base64url 65-byte P-256 public key");
  }
  if (!sameBytes(key, expect.applicationServerKey)) {
    return forbidden(
      "k is not the applicationServerKey this subscription was created with",
    );
  }
  const segments = parsed.t.split(".");
  if (segments.length !== 3) return forbidden("t is not a JWT");
  const [headerPart, claimsPart, signaturePart] = segments as [
    string,
    string,
    string,
  ];
  const header = jwtHeader.safeParse(decodeJson(headerPart));
  if (!header.success) return forbidden("the JWT's alg is not ES256");
  const signature = decodeBase64url(signaturePart);
  if (!signature || signature.length !== 64) {
    return forbidden("the JWT's signature is not a 64-byte ES256 r‖s");
  }
  if (!(await verifies(key, signature, `${headerPart}.${claimsPart}`))) {
    return forbidden("the JWT's signature does not verify with k");
  }
  const claims = jwtClaims.safeParse(decodeJson(claimsPart));
  if (!claims.success) {
    return forbidden("the JWT's claims need a string aud and an integer exp");
  }
  const { aud, exp, sub } = claims.data;
  if (aud !== expect.audience) {
    return forbidden(
      `aud "${aud}" is not the endpoint's origin "${expect.audience}"`,
    );
  }
  const nowS = expect.now / 1000;
  if (exp <= nowS) return forbidden(`the JWT expired (exp ${exp})`);
  if (exp > nowS + MAX_EXP_AHEAD_S) {
    return forbidden(`exp ${exp} is more than 24 hours ahead`);
  }
  if (sub === undefined) return forbidden("the JWT has no sub claim");
  if (!/^(mailto:|https:)/.test(sub)) {
    return forbidden(`sub "${sub}" is neither a mailto: nor an https: URL`);
  }
  return { ok: true, claims: { aud, exp, sub } };
}

type ParsedAuthorization =
  | { ok: true; t: string; k: string }
  | { ok: false; reason: string };

/** `vapid t=…, k=…`: the scheme in any case, the two parameters in any order. */
export function parseVapidAuthorization(
  header: string | null,
): ParsedAuthorization {
  if (header === null || header.trim() === "") {
    return { ok: false, reason: "no Authorization header" };
  }
  const match = header.trim().match(/^vapid\s+(.+)$/i);
  if (!match?.[1]) {
    return { ok: false, reason: "the Authorization scheme is not vapid" };
  }
  const params = new Map<string, string>();
  for (const part of match[1].split(",")) {
    const [name, ...value] = part.trim().split("=");
    if (!name || value.length === 0) continue;
    params.set(name.trim().toLowerCase(), value.join("=").trim());
  }
  const t = params.get("t");
  const k = params.get("k");
  if (!t || !k) {
    return { ok: false, reason: "the vapid Authorization needs t= and k=" };
  }
  return { ok: true, t, k };
}

async function verifies(
  rawKey: Bytes,
  signature: Bytes,
  signed: string,
): Promise<boolean> {
  let key: CryptoKey;
  try {
    key = await crypto.subtle.importKey(
      "raw",
      rawKey,
      { name: "ECDSA", namedCurve: "P-256" },
      false,
      ["verify"],
    );
  } catch {
    return false;
  }
  return await crypto.subtle.verify(
    { name: "ECDSA", hash: "SHA-256" },
    key,
    signature,
    new TextEncoder().encode(signed),
  );
}

function decodeJson(segment: string): unknown {
  const bytes = decodeBase64url(segment);
  if (!bytes) return undefined;
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    return undefined;
  }
}

function sameBytes(a: Bytes, b: Bytes): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}
