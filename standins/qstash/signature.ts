import { sign } from "hono/jwt";
import { newJwtId } from "./ids.ts";

/**
 * The `Upstash-Signature` JWT QStash puts on every delivery: HS256, keyed by
 * the signing-key string's UTF-8 bytes (not base64-decoded), with the
 * destination URL as subject and the SHA-256 of the raw body as a claim, so
 * the official Receiver verifies it byte for byte.
 */
const LIFETIME_S = 300;
/**
 * hono/jwt imports a string key again on every call (and first looks for a
 * PEM in it); a CryptoKey made once per signing key is used as it is.
 */
const keyCache = new Map<string, Promise<CryptoKey>>();

function hmacKey(signingKey: string): Promise<CryptoKey> {
  let key = keyCache.get(signingKey);
  if (!key) {
    key = crypto.subtle.importKey(
      "raw",
      new TextEncoder().encode(signingKey),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign"],
    );
    keyCache.set(signingKey, key);
  }
  return key;
}

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
  return await sign(
    {
      iss: "Upstash",
      sub: input.url,
      exp: input.nowSeconds + LIFETIME_S,
      nbf: input.nowSeconds,
      iat: input.nowSeconds,
      jti: newJwtId(),
      // QStash's own tokens keep the `=` padding here; the Receiver strips it.
      body: bodyHash.toBase64({ alphabet: "base64url" }),
    },
    await hmacKey(input.signingKey),
    "HS256",
  );
}
