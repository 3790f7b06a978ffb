import assert from "node:assert/strict";
import {
  encodePayload,
  MAX_PUSH_PLAINTEXT,
  type PushPayload,
} from "../../src/domain/push/push_message.ts";

const payload = (body: string): PushPayload => ({
  id: "n1",
  type: "orders.new",
  title: "Hi",
  body,
  severity: "medium",
  unread: 1,
  url: "/",
  actionToken: "t".repeat(200),
  createdAt: "2026-12-07T09:00:00.000Z",
});
const bytes = (text: string) => new TextEncoder().encode(text).length;

for (
  const [what, ch] of [["ASCII", "a"], ["two-byte", "é"], ["four-byte", "🔔"]]
) {
  Deno.test(`encodePayload() shortens a long ${what} body to fit, keeping most of it`, () => {
    const text = encodePayload(payload(ch!.repeat(4_000)), true);
    assert.ok(bytes(text) <= MAX_PUSH_PLAINTEXT, `${bytes(text)} bytes`);
    const body = (JSON.parse(text) as { body: string }).body;
    assert.ok(
      bytes(body) > MAX_PUSH_PLAINTEXT * 0.8,
      `${bytes(body)} bytes kept`,
    );
  });
}

Deno.test("encodePayload() leaves a body that fits whole, and drops it when asked", () => {
  assert.equal(JSON.parse(encodePayload(payload("short"), true)).body, "short");
  assert.equal(
    JSON.parse(encodePayload(payload("short"), false)).body,
    undefined,
  );
});
