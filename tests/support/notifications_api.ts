import assert from "node:assert/strict";
import type { TestWorker } from "./test_stack.ts";

/** Creates one notification for `userId` through the API (admin key). */
export async function sendNotification(
  stack: TestWorker,
  body: { userId: string; title: string; type?: string; severity?: string },
): Promise<void> {
  const res = await stack.admin("/v1/notifications", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ type: "e2e.test", body: "from the test", ...body }),
  });
  assert.equal(res.status, 201, await res.text());
}

/** How many live streams Herald holds on `userId`'s own channel. */
export async function userSubscribers(
  stack: TestWorker,
  userId: string,
): Promise<number> {
  const res = await stack.admin("/v1/realtime/status");
  const body: { channels: { name: string; subscribers: number }[] } = await res
    .json();
  return body.channels.find((c) => c.name === `user:${userId}`)
    ?.subscribers ?? 0;
}
