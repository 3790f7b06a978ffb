import { Receiver } from "@upstash/qstash";
import { z } from "zod";
import { decodeBase64Url } from "../domain/codecs/base64url.ts";
import { AppError } from "../errors.ts";

/**
 * Checks an `Upstash-Signature` on the exact raw body against the URL it was
 * sent to, with the current and the next signing key (the Receiver tries
 * both). Anything short of a valid signature is a 401.
 *
 * `devMode: false` is pinned: left unset, the SDK reads `QSTASH_DEV` from
 * the process environment and, when it is set, verifies with QStash's
 * published dev keys instead of the configured ones — anyone could sign.
 * The local stack needs no exception: its keys are the configured ones.
 */
export async function verifyQStashSignature(
  keys: { currentSigningKey: string; nextSigningKey: string },
  signature: string | undefined,
  raw: string,
  url: string,
): Promise<SignatureClaims> {
  if (!signature) {
    throw new AppError("unauthorized", "Missing Upstash-Signature");
  }
  const receiver = new Receiver({ ...keys, devMode: false });
  const valid = await receiver.verify({ signature, body: raw, url })
    .catch(() => false);
  if (!valid) throw new AppError("unauthorized", "Invalid signature");
  return claimsOf(signature);
}

/** What a verified signature says about itself. */
export interface SignatureClaims {
  /** The signature's own id (`jti`): one per signed attempt. */
  jti: string | null;
  /** When the signature stops being accepted, epoch ms. */
  expiresAt: number | null;
}

const claimsSchema = z.object({
  jti: z.string().min(1).max(200).optional(),
  exp: z.number().int().optional(),
});

/** The claims of a JWT the Receiver has already verified. */
function claimsOf(jwt: string): SignatureClaims {
  const payload = decodeBase64Url(jwt.split(".")[1] ?? "");
  let parsed: unknown = null;
  try {
    parsed = payload === null ? null : JSON.parse(payload);
  } catch {
    parsed = null;
  }
  const claims = claimsSchema.safeParse(parsed);
  if (!claims.success) return { jti: null, expiresAt: null };
  return {
    jti: claims.data.jti ?? null,
    expiresAt: claims.data.exp === undefined ? null : claims.data.exp * 1000,
  };
}
