import {
  DEV_QSTASH_CURRENT_SIGNING_KEY,
  signDelivery,
} from "@herald/standin-qstash";
import type { TestStack } from "./test_stack.ts";

/**
 * A delivery exactly as the QStash dev server signs it (the same signer its
 * conformance suite proves against the official Receiver), so a test can
 * replay one message several times or tamper with it.
 */
export async function signedDelivery(
  stack: TestStack,
  body: string,
  signingKey = DEV_QSTASH_CURRENT_SIGNING_KEY,
  /** The destination the signature names (QStash's `sub`). */
  signedFor = `${stack.url}/v1/qstash/callback`,
): Promise<{ url: string; body: string; signature: string }> {
  const url = `${stack.url}/v1/qstash/callback`;
  const signature = await signDelivery({
    signingKey,
    url: signedFor,
    body: new TextEncoder().encode(body),
    nowSeconds: Math.floor(Date.now() / 1000),
  });
  return { url, body, signature };
}

export function deliver(
  d: { url: string; body: string; signature: string },
  messageId = "msg_test",
  retried = 0,
): Promise<Response> {
  return fetch(d.url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "upstash-signature": d.signature,
      "upstash-message-id": messageId,
      "upstash-retried": String(retried),
    },
    body: d.body,
  });
}
