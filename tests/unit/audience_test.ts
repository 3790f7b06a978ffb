import assert from "node:assert/strict";
import {
  formatAudience,
  parseAudience,
  splitAudiences,
  userAudience,
  userOfAudience,
} from "../../src/domain/delivery/audience.ts";

Deno.test("formatAudience() and parseAudience() round-trip every kind, colons in the name kept", () => {
  for (
    const ref of [
      { kind: "user", name: "ada" },
      { kind: "role", name: "ops:night" },
      { kind: "topic", name: "" },
    ] as const
  ) {
    assert.deepEqual(parseAudience(formatAudience(ref)), ref);
  }
  assert.equal(formatAudience({ kind: "role", name: "ops" }), "role:ops");
});

Deno.test("parseAudience() throws on an audience of no known kind, quoting it", () => {
  assert.throws(() => parseAudience("group:x"), /"group:x"/);
  assert.throws(() => parseAudience("user"), /"user"/);
});

Deno.test("userAudience() and userOfAudience() read a user's own audience back, and only theirs", () => {
  assert.equal(userAudience("ada"), "user:ada");
  assert.equal(userOfAudience(userAudience("a:b")), "a:b");
  assert.equal(userOfAudience("role:ops"), null);
  assert.equal(userOfAudience("users:ada"), null);
});

Deno.test("splitAudiences() keeps users' ids and the roles and topics apart, in order", () => {
  assert.deepEqual(
    splitAudiences(["user:b", "role:ops", "user:a", "topic:t"]),
    { users: ["b", "a"], broadcast: ["role:ops", "topic:t"] },
  );
});
