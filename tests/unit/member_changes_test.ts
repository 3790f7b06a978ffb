import assert from "node:assert/strict";
import {
  memberChanges,
  type PlannedMember,
} from "../../src/domain/schedules/member_changes.ts";

const member = (type: string, slot: string): PlannedMember => ({
  id: `m.${type}`,
  userId: "ada",
  type,
  localTime: "09:30",
  slot,
});

Deno.test("memberChanges() puts a new member, calls it created and checks its slot", () => {
  const changes = memberChanges([], [member("digest", "0930")]);
  assert.deepEqual(changes.remove, []);
  assert.deepEqual(changes.put, [member("digest", "0930")]);
  assert.deepEqual(changes.slots, ["0930"]);
  assert.deepEqual(changes.changes, {
    created: ["m.digest"],
    updated: [],
    deleted: [],
    unchanged: [],
  });
});

Deno.test("memberChanges() moves a member to its new slot and checks both slots", () => {
  const changes = memberChanges(
    [{ id: "m.digest", slot: "0930" }],
    [member("digest", "0830")],
  );
  assert.deepEqual(changes.put, [member("digest", "0830")]);
  assert.deepEqual(changes.slots, ["0830", "0930"]);
  assert.deepEqual(changes.changes.updated, ["m.digest"]);
  assert.deepEqual(changes.changes.created, []);
});

Deno.test("memberChanges() removes a member no longer planned and checks the slot it left", () => {
  const changes = memberChanges(
    [{ id: "m.digest", slot: "0930" }, { id: "m.report", slot: "1200" }],
    [member("report", "1200")],
  );
  assert.deepEqual(changes.remove, ["m.digest"]);
  assert.deepEqual(changes.put, []);
  assert.deepEqual(changes.slots, ["0930", "1200"]);
  assert.deepEqual(changes.changes, {
    created: [],
    updated: [],
    deleted: ["m.digest"],
    unchanged: ["m.report"],
  });
});

Deno.test("memberChanges() writes nothing for members as planned, but still checks their slots (a retry after QStash failed must finish)", () => {
  const changes = memberChanges(
    [{ id: "m.digest", slot: "0930" }],
    [member("digest", "0930")],
  );
  assert.deepEqual([changes.remove, changes.put], [[], []]);
  assert.deepEqual(changes.slots, ["0930"]);
  assert.deepEqual(changes.changes.unchanged, ["m.digest"]);
});

Deno.test("memberChanges() with nothing planned (per-user placement) removes every stored member", () => {
  const changes = memberChanges(
    [{ id: "m.b", slot: "1200" }, { id: "m.a", slot: "0930" }],
    [],
  );
  assert.deepEqual(changes.remove, ["m.b", "m.a"]);
  assert.deepEqual(changes.slots, ["0930", "1200"]);
  assert.deepEqual(changes.changes.deleted, ["m.b", "m.a"]);
});
