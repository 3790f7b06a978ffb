import { Receiver } from "@upstash/qstash";
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
): Promise<void> {
  if (!signature) {
    throw new AppError("unauthorized", "Missing Upstash-Signature");
  }
  const receiver = new Receiver({ ...keys, devMode: false });
  const valid = await receiver.verify({ signature, body: raw, url })
    .catch(() => false);
  if (!valid) throw new AppError("unauthorized", "Invalid signature");
}
