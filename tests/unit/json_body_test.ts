import assert from "node:assert/strict";
import { nestingExceeds } from "../../src/http/json_body.ts";

Deno.test("nestingExceeds() counts objects and arrays opened at once", () => {
  assert.equal(nestingExceeds("[[[]]]", 3), false);
  assert.equal(nestingExceeds("[[[[]]]]", 3), true);
  assert.equal(nestingExceeds('{"a":{"b":[1]}}', 3), false);
  assert.equal(nestingExceeds('{"a":{"b":[{}]}}', 3), true);
  // Siblings do not add up: depth is what is open at one time.
  assert.equal(nestingExceeds("[[],[],[],[],[]]", 2), false);
});

Deno.test("nestingExceeds() ignores brackets inside strings, escaped quotes included", () => {
  assert.equal(nestingExceeds(`["${"[".repeat(100)}"]`, 1), false);
  assert.equal(nestingExceeds(`["\\"[[[[", "{{{{"]`, 1), false);
  assert.equal(nestingExceeds(`["\\\\", [[]]]`, 2), true);
});
