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
