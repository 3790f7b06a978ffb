import assert from "node:assert/strict";
import { z } from "zod";
import type { TestStack } from "./test_stack.ts";

export const browserSubscription = z.object({
  endpoint: z.string(),
  expirationTime: z.number().nullable(),
  keys: z.object({ p256dh: z.string(), auth: z.string() }),
});
export type BrowserSubscription = z.infer<typeof browserSubscription>;

/** What a browser's pushManager.subscribe() would give, from the stand-in. */
export async function standInSubscription(
  stack: Pick<TestStack, "standIns" | "vapidPublicKey">,
): Promise<BrowserSubscription> {
  const res = await fetch(`${stack.standIns.pushUrl}/subscribe`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ applicationServerKey: stack.vapidPublicKey }),
  });
  assert.equal(res.status, 201);
  return browserSubscription.parse(await res.json());
}

const received = z.object({
  messages: z.array(z.object({
    endpoint: z.string(),
    payload: z.string(),
    ttl: z.number(),
    urgency: z.string().nullable(),
    topic: z.string().nullable(),
    claims: z.object({ aud: z.string(), exp: z.number(), sub: z.string() }),
  })),
});

/** What the stand-in accepted for one endpoint, decrypted, in order. */
export async function standInMessages(
  stack: Pick<TestStack, "standIns">,
  endpoint: string,
): Promise<z.infer<typeof received>["messages"]> {
  const res = await fetch(
    `${stack.standIns.pushUrl}/messages?endpoint=${
      encodeURIComponent(endpoint)
    }`,
  );
  return received.parse(await res.json()).messages;
}

/** Makes the stand-in answer 410 to every later push to `endpoint`. */
export async function expireAtStandIn(
  stack: Pick<TestStack, "standIns">,
  endpoint: string,
): Promise<void> {
  const res = await fetch(`${stack.standIns.pushUrl}/expire`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ endpoint }),
  });
  assert.equal(res.status, 200);
  await res.body?.cancel();
}
