import assert from "node:assert/strict";
import {
  chunk,
  decodeListCursor,
  encodeListCursor,
  pageOf,
  QSTASH_BATCH_LIMIT,
} from "../../src/domain/codecs/paging.ts";

Deno.test("pageOf() returns the page and a cursor only when a row beyond it was read", () => {
  const rows = ["a", "b", "c"];
  const full = pageOf(rows, 2, (r) => r);
  assert.deepEqual(full.items, ["a", "b"]);
  assert.equal(full.nextCursor && decodeListCursor(full.nextCursor), "b");
  const last = pageOf(rows, 3, (r) => r);
  assert.deepEqual(last.items, rows);
  assert.equal(last.nextCursor, null);
  assert.deepEqual(pageOf([], 5, (r: string) => r), {
    items: [],
    nextCursor: null,
  });
});

Deno.test("cursors round-trip any key and refuse what Herald did not make", () => {
  for (const key of ["herald.u.YWRh.taskReminder.0900", "ü/ß 🦕", "x"]) {
    assert.equal(decodeListCursor(encodeListCursor(key)), key);
  }
  assert.equal(decodeListCursor("!!"), null);
  assert.equal(decodeListCursor(""), null);
});

Deno.test("chunk() splits into batches of at most the size, keeping order", () => {
  const items = Array.from({ length: 250 }, (_, i) => i);
  const chunks = chunk(items, QSTASH_BATCH_LIMIT);
  assert.deepEqual(chunks.map((c) => c.length), [100, 100, 50]);
  assert.deepEqual(chunks.flat(), items);
  assert.deepEqual(chunk([], 100), []);
  assert.throws(() => chunk(items, 0));
});
