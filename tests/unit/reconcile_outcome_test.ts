import assert from "node:assert/strict";
import {
  pendingOutcome,
  sortedOutcome,
  withChanges,
} from "../../src/domain/schedules/reconcile_outcome.ts";

const none = { created: [], updated: [], deleted: [], unchanged: [] };

Deno.test("withChanges() adds a step's ids to the outcome and keeps its status", () => {
  const outcome = withChanges(pendingOutcome(), {
    ...none,
    created: ["b", "a"],
    deleted: ["c"],
    unchanged: ["d"],
  });
  assert.deepEqual(outcome, {
    status: "pending",
    created: ["b", "a"],
    updated: [],
    deleted: ["c"],
    unchanged: ["d"],
  });
});

Deno.test("withChanges() names an id once per list however many rounds name it", () => {
  const first = withChanges(pendingOutcome(), { ...none, created: ["a"] });
  const second = withChanges(first, { ...none, created: ["a", "b"] });
  assert.deepEqual(second.created, ["a", "b"]);
});

Deno.test("withChanges() never counts as unchanged an id created or updated in this round or an earlier one", () => {
  const first = withChanges(pendingOutcome(), { ...none, updated: ["a"] });
  const second = withChanges(first, {
    ...none,
    created: ["b"],
    unchanged: ["a", "b", "c"],
  });
  assert.deepEqual(second.unchanged, ["c"]);
});

Deno.test("withChanges() leaves the outcome it was given as it was", () => {
  const before = pendingOutcome("in_progress");
  withChanges(before, { ...none, created: ["a"] });
  assert.deepEqual(before, pendingOutcome("in_progress"));
});

Deno.test("sortedOutcome() puts every list in id order", () => {
  const outcome = sortedOutcome({
    status: "synced",
    created: ["b", "a"],
    updated: ["d", "c"],
    deleted: ["f", "e"],
    unchanged: ["h", "g"],
  });
  assert.deepEqual(outcome, {
    status: "synced",
    created: ["a", "b"],
    updated: ["c", "d"],
    deleted: ["e", "f"],
    unchanged: ["g", "h"],
  });
});
