import assert from "node:assert/strict";
import {
  type DigestItem,
  type DigestState,
  joinDigest,
  windowMs,
} from "../../src/domain/delivery/digest.ts";

const item = (i: number): DigestItem => ({
  title: `c${i}`,
  body: "",
  data: null,
  createdAt: "2026-12-07T00:00:00.000Z",
});

Deno.test("windowMs() reads minutes and hours from 1 min to 24 h", () => {
  assert.equal(windowMs("1m"), 60_000);
  assert.equal(windowMs("10m"), 600_000);
  assert.equal(windowMs("24h"), 86_400_000);
  for (const bad of ["0m", "25h", "1441m", "10", "10s", "1d", "m"]) {
    assert.equal(windowMs(bad), null, bad);
  }
});

Deno.test("joinDigest() counts every item and keeps the first and last ten", () => {
  let state: DigestState = { count: 1, items: [item(1)] };
  for (let i = 2; i <= 30; i++) state = joinDigest(state, item(i));
  assert.equal(state.count, 30);
  assert.deepEqual(state.items.map((i) => i.title), [
    ...Array.from({ length: 10 }, (_, i) => `c${i + 1}`),
    ...Array.from({ length: 10 }, (_, i) => `c${i + 21}`),
  ]);
  const few = joinDigest({ count: 1, items: [item(1)] }, item(2));
  assert.deepEqual(few.items.map((i) => i.title), ["c1", "c2"]);
});
