import { newJwtId } from "./ids.ts";

/**
 * The `Upstash-Signature` JWT QStash puts on every delivery: HS256, keyed by
 * the signing-key string's UTF-8 bytes (not base64-decoded), with the
 * destination URL as subject and the SHA-256 of the raw body as a claim, so
 * the official Receiver verifies it byte for byte.
 */
const LIFETIME_S = 300;
const encoder = new TextEncoder();
const keyCache = new Map<string, Promise<CryptoKey>>();

function hmacKey(signingKey: string): Promise<CryptoKey> {
  let key = keyCache.get(signingKey);
  if (!key) {
    key = crypto.subtle.importKey(
      "raw",
      encoder.encode(signingKey),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign"],
    );
    keyCache.set(signingKey, key);
  }
  return key;
}

function base64url(bytes: Uint8Array, padded = false): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  const text = btoa(binary).replaceAll("+", "-").replaceAll("/", "_");
  return padded ? text : text.replace(/=+$/, "");
}

const jsonPart = (value: unknown) =>
  base64url(encoder.encode(JSON.stringify(value)));

export interface SignatureInput {
  signingKey: string;
  /** The exact destination URL; the Receiver compares it with `sub`. */
  url: string;
  body: Uint8Array<ArrayBuffer>;
  /**
   * Real wall-clock seconds, never the virtual clock: receivers check
   * `nbf`/`exp` against their own clock.
   */
  nowSeconds: number;
}

export async function signDelivery(input: SignatureInput): Promise<string> {
  const bodyHash = new Uint8Array(
    await crypto.subtle.digest("SHA-256", input.body),
  );
  const header = jsonPart({ alg: "HS256", typ: "JWT" });
  const claims = jsonPart({
    iss: "Upstash",
    sub: input.url,
    exp: input.nowSeconds + LIFETIME_S,
    nbf: input.nowSeconds,
    iat: input.nowSeconds,
    jti: newJwtId(),
    // QStash's own tokens keep the `=` padding here; the Receiver strips it.
    body: base64url(bodyHash, true),
  });
  const signingInput = `${header}.${claims}`;
  const mac = await crypto.subtle.sign(
    "HMAC",
    await hmacKey(input.signingKey),
    encoder.encode(signingInput),
  );
  return `${signingInput}.${base64url(new Uint8Array(mac))}`;
}
