import { Receiver } from "@upstash/qstash";
import { AppError } from "../errors.ts";

/**
 * Checks an `Upstash-Signature` on the exact raw body against the URL it was
 * sent to, with the current and the next signing key (the Receiver tries
 * both). Anything short of a valid signature is a 401.
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
  const receiver = new Receiver(keys);
  const valid = await receiver.verify({ signature, body: raw, url })
    .catch(() => false);
  if (!valid) throw new AppError("unauthorized", "Invalid signature");
}
