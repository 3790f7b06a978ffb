import assert from "node:assert/strict";
import {
  decodeInboxCursor,
  encodeInboxCursor,
} from "../../src/domain/inbox/inbox_cursor.ts";

Deno.test("an inbox cursor round-trips through encodeInboxCursor() and decodeInboxCursor()", () => {
  const at = { createdAt: 1_767_225_600_000, id: "ntf_01JX8Y2Q3R" };
  assert.deepEqual(decodeInboxCursor(encodeInboxCursor(at)), at);
});

Deno.test("encodeInboxCursor() writes unpadded base64url of createdAt.id, as it always has", () => {
  const cursor = encodeInboxCursor({ createdAt: 1, id: "ntf_a" });
  assert.equal(cursor, btoa("1.ntf_a").replace(/=+$/, ""));
  assert.match(cursor, /^[A-Za-z0-9_-]+$/);
});

Deno.test("decodeInboxCursor() refuses what it did not write", () => {
  for (
    const bad of [
      "",
      "!!",
      encodeInboxCursor({ createdAt: 1, id: "ntf_a" }) + "=",
      btoa("1.msg_a").replace(/=+$/, ""),
      btoa(".ntf_a").replace(/=+$/, ""),
      btoa("1e400.ntf_a").replace(/=+$/, ""),
      btoa("nope").replace(/=+$/, ""),
    ]
  ) {
    assert.equal(decodeInboxCursor(bad), null, JSON.stringify(bad));
  }
});
