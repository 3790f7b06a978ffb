import assert from "node:assert/strict";
import {
  compareHeld,
  sameHeld,
  summarize,
} from "../../src/domain/schedules/drift.ts";

const s = (id: string, cron = "0 9 * * *", paused = false) => ({
  id,
  cron,
  destination: "https://h/cb",
  body: "{}",
  paused,
});

Deno.test("compareHeld() names missing, unexpected, different and ok schedules, sorted by id", () => {
  const entries = compareHeld(
    [s("a"), s("b"), s("c", "0 10 * * *")],
    [s("b"), s("c"), s("d")],
    false,
  );
  assert.deepEqual(entries, [
    { id: "a", state: "missing" },
    { id: "b", state: "ok" },
    { id: "c", state: "different", fields: ["cron"] },
    { id: "d", state: "unexpected" },
  ]);
  assert.deepEqual(summarize(entries), {
    ok: 1,
    missing: 1,
    unexpected: 1,
    different: 1,
  });
});

Deno.test("compareHeld() counts a paused state that does not match the scheduler as different", () => {
  assert.deepEqual(compareHeld([s("a")], [s("a", undefined, true)], false), [
    { id: "a", state: "different", fields: ["paused"] },
  ]);
  assert.deepEqual(compareHeld([s("a")], [s("a", undefined, true)], true), [
    { id: "a", state: "ok" },
  ]);
});

Deno.test("sameHeld() compares two views of one scope whatever their order", () => {
  assert.ok(sameHeld([s("a"), s("b")], [s("b"), s("a")]));
  assert.ok(!sameHeld([s("a")], [s("a", "0 8 * * *")]));
  assert.ok(!sameHeld([s("a")], [s("a", undefined, true)]));
  assert.ok(!sameHeld([s("a")], [s("a"), s("b")]));
  assert.ok(sameHeld([], []));
});
