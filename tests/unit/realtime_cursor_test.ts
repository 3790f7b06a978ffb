import assert from "node:assert/strict";
import {
  cursorAt,
  decodeEventCursor,
  formatPart,
  isEpoch,
  joinCursor,
  newEpoch,
  seqFor,
} from "../../src/realtime/core/cursor.ts";

const A = "AbCd_-12";
const B = "zzzzzzzz";

Deno.test("a cursor round-trips through joinCursor() and decodeEventCursor()", () => {
  const parts = [{ epoch: A, seq: 0 }, { epoch: B, seq: 123456789 }];
  const cursor = joinCursor(parts.map(formatPart));
  assert.deepEqual(cursor, "1.AbCd_-120.zzzzzzzz21i3v9");
  assert.deepEqual(decodeEventCursor(cursor), parts);
});

Deno.test("a cursor is made of URL-unreserved characters only", () => {
  for (let i = 0; i < 50; i++) {
    const cursor = joinCursor([
      formatPart({ epoch: newEpoch(), seq: i * 7919 }),
      formatPart({ epoch: newEpoch(), seq: Number.MAX_SAFE_INTEGER }),
    ]);
    assert.match(cursor, /^[A-Za-z0-9._~-]+$/);
    assert.deepEqual(encodeURIComponent(cursor), cursor);
  }
});

Deno.test("a cursor with no parts is still a non-empty id", () => {
  assert.deepEqual(joinCursor([]), "1");
  assert.deepEqual(decodeEventCursor("1"), []);
});

Deno.test("newEpoch() makes 8-character base64url epochs that differ", () => {
  const epochs = new Set(Array.from({ length: 100 }, () => newEpoch()));
  assert.deepEqual(epochs.size, 100);
  for (const epoch of epochs) assert.ok(isEpoch(epoch), epoch);
});

Deno.test("decodeEventCursor() refuses what it did not write", () => {
  for (
    const bad of [
      "",
      "2",
      "1.",
      "2.AbCd_-121",
      "1.AbCd_-12", // no seq
      "1.AbCd_-12A", // upper-case seq digit
      "1.AbCd_-1201", // non-canonical seq ("01")
      "1.AbCd+-121", // not base64url
      "1.AbCd_-121.AbCd_-122", // same epoch twice
      "1.AbCd_-12zzzzzzzzzzzz", // seq beyond 2^53
      "1,AbCd_-121",
      "1.AbCd_-121\n",
      "garbage",
      "42",
      "1." + "x".repeat(5000),
    ]
  ) {
    assert.deepEqual(decodeEventCursor(bad), null, JSON.stringify(bad));
  }
});

Deno.test("decodeEventCursor() refuses ids with more than 64 parts", () => {
  const parts = Array.from(
    { length: 65 },
    (_, i) =>
      formatPart({ epoch: `abcd${String(i).padStart(4, "0")}`, seq: 1 }),
  );
  assert.deepEqual(decodeEventCursor(joinCursor(parts)), null);
  assert.ok(decodeEventCursor(joinCursor(parts.slice(1))));
});

Deno.test("seqFor() finds a channel's position by epoch, not by index", () => {
  const parts = decodeEventCursor(`1.${B}9.${A}5`);
  assert.ok(parts);
  assert.deepEqual(seqFor(parts, A), 5);
  assert.deepEqual(seqFor(parts, B), 9);
  assert.deepEqual(seqFor(parts, "Q1234567"), null);
});

Deno.test("cursorAt() is the one-part cursor a shard writes", () => {
  assert.deepEqual(cursorAt(A, 35), `1.${A}z`);
  assert.deepEqual(decodeEventCursor(cursorAt(A, 35)), [{ epoch: A, seq: 35 }]);
});
