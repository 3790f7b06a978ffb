import assert from "node:assert/strict";
import { formatPart, joinCursor } from "../../src/realtime/core/cursor.ts";
import { planResume } from "../../src/realtime/core/resume_plan.ts";

const EPOCH = "Chan_001";
const OTHER = "Chan_002";
const at = (seq: number, epoch = EPOCH) =>
  joinCursor([formatPart({ epoch, seq })]);
// The log reached seq 20; for this connection's audiences, events up to 10
// were trimmed away.
const log = { lastSeq: 20, trimmedThrough: 10 };

Deno.test("planResume() starts live, with no reset, when there is no cursor", () => {
  assert.deepEqual(planResume(null, EPOCH, log), { kind: "live" });
  assert.deepEqual(planResume("", EPOCH, log), { kind: "live" });
});

Deno.test("planResume() replays after the position while the log still covers it", () => {
  assert.deepEqual(planResume(at(10), EPOCH, log), {
    kind: "replay",
    afterSeq: 10,
  });
  assert.deepEqual(planResume(at(15), EPOCH, log), {
    kind: "replay",
    afterSeq: 15,
  });
  // Up to date: replay nothing, but no reset either.
  assert.deepEqual(planResume(at(20), EPOCH, log), {
    kind: "replay",
    afterSeq: 20,
  });
});

Deno.test("planResume() resets when events after the position were trimmed", () => {
  assert.deepEqual(planResume(at(9), EPOCH, log), { kind: "reset" });
  assert.deepEqual(planResume(at(0), EPOCH, log), { kind: "reset" });
});

Deno.test("planResume() resets on a position from the future", () => {
  assert.deepEqual(planResume(at(21), EPOCH, log), { kind: "reset" });
});

Deno.test("planResume() resets on an unparsable or foreign cursor", () => {
  assert.deepEqual(planResume("garbage", EPOCH, log), { kind: "reset" });
  assert.deepEqual(planResume(at(15, OTHER), EPOCH, log), { kind: "reset" });
  assert.deepEqual(planResume("1", EPOCH, log), { kind: "reset" });
});

Deno.test("planResume() finds its own part in an id with several", () => {
  const cursor = joinCursor([
    formatPart({ epoch: OTHER, seq: 3 }),
    formatPart({ epoch: EPOCH, seq: 12 }),
  ]);
  assert.deepEqual(planResume(cursor, EPOCH, log), {
    kind: "replay",
    afterSeq: 12,
  });
});

Deno.test("planResume() on an empty log honours only seq 0", () => {
  const empty = { lastSeq: 0, trimmedThrough: 0 };
  assert.deepEqual(planResume(at(0), EPOCH, empty), {
    kind: "replay",
    afterSeq: 0,
  });
  assert.deepEqual(planResume(at(1), EPOCH, empty), { kind: "reset" });
});
