import assert from "node:assert/strict";
import {
  canonicalJson,
  requestFingerprint,
} from "../../src/domain/codecs/request_fingerprint.ts";

Deno.test("canonicalJson() sorts keys at every depth and keeps array order", () => {
  assert.equal(
    canonicalJson({ b: 1, a: { d: [3, 1], c: "x" } }),
    '{"a":{"c":"x","d":[3,1]},"b":1}',
  );
});

Deno.test("canonicalJson() leaves out undefined members as JSON.stringify does", () => {
  assert.equal(canonicalJson({ a: undefined, b: null }), '{"b":null}');
  assert.equal(canonicalJson([undefined, 1]), "[null,1]");
});

Deno.test("requestFingerprint() is the same for the same request however its keys were ordered", async () => {
  const one = await requestFingerprint({ userId: "ada", title: "Hi" });
  const same = await requestFingerprint({ title: "Hi", userId: "ada" });
  const other = await requestFingerprint({ userId: "ada", title: "Hi!" });
  assert.equal(one, same);
  assert.notEqual(one, other);
  assert.match(one, /^[0-9a-f]{64}$/);
});
