import assert from "node:assert/strict";
import { type PushServiceStandIn, startPushServiceStandIn } from "../mod.ts";
import type { PushSubscriptionJson } from "../push_registry.ts";

/** A stand-in of its own on a free port for one test, closed after it. */
export async function withPushService(
  run: (standIn: PushServiceStandIn) => Promise<void>,
): Promise<void> {
  const standIn = await startPushServiceStandIn({ port: 0 });
  try {
    await run(standIn);
  } finally {
    await standIn.close();
  }
}

export async function subscribe(
  standIn: PushServiceStandIn,
  applicationServerKey: string,
): Promise<PushSubscriptionJson> {
  const response = await fetch(`${standIn.url}/subscribe`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ applicationServerKey }),
  });
  assert.equal(response.status, 201, await response.clone().text());
  return await response.json();
}

export interface ShownMessage {
  id: string;
  endpoint: string;
  payload: string;
  size: number;
  ttl: number;
  urgency: string;
  topic: string | null;
  receivedAt: string;
  claims: { aud: string; exp: number; sub: string };
  replaced: boolean;
}

export async function messages(
  standIn: PushServiceStandIn,
  endpoint?: string,
): Promise<ShownMessage[]> {
  const query = endpoint === undefined
    ? ""
    : `?endpoint=${encodeURIComponent(endpoint)}`;
  const response = await fetch(`${standIn.url}/messages${query}`);
  assert.equal(response.status, 200);
  const shown: { messages: ShownMessage[] } = await response.json();
  return shown.messages;
}

/** The status and error body of an answer, its body read either way. */
export async function answer(
  response: Response,
): Promise<{ status: number; message: string; retryAfter: string | null }> {
  const text = await response.text();
  let message = "";
  try {
    message = JSON.parse(text).message ?? "";
  } catch {
    message = text;
  }
  return {
    status: response.status,
    message,
    retryAfter: response.headers.get("retry-after"),
  };
}
