import assert from "node:assert/strict";
import { sign } from "hono/jwt";
import { errorBody, read } from "../support/bodies.ts";
import { integrationSuite } from "../support/suite.ts";

/**
 * Input an attacker (or a host app with unusual names) sends through the
 * Worker in workerd: bodies nested far past any Herald body, stream ids
 * longer than any Herald writes, names whose UTF-8 bytes outgrow a socket
 * tag, and chunked bodies past the size limit. Each is a 4xx or works —
 * never a 5xx, never a reset connection.
 */
const suite = integrationSuite("hostile input through the Worker");
const { test } = suite;

let n = 0;
const fresh = (what: string) => `${what}-${++n}-${crypto.randomUUID()}`;

async function tokenFor(
  sub: string,
  claims: { roles?: string[]; topics?: string[] } = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return await sign(
    { sub, ...claims, iat: now, exp: now + 600 },
    suite.stack.jwtSecret,
    "HS256",
  );
}

const nestedObject = (depth: number) =>
  '{"a":'.repeat(depth) + "1" + "}".repeat(depth);
const nestedArray = (depth: number) => "[".repeat(depth) + "]".repeat(depth);

async function patchPreferences(userId: string, body: string) {
  return await fetch(
    `${suite.stack.url}/v1/users/${encodeURIComponent(userId)}/preferences`,
    {
      method: "PATCH",
      headers: {
        authorization: `Bearer ${await tokenFor(userId)}`,
        "content-type": "application/json",
      },
      body,
    },
  );
}

test("a body nested thousands of levels deep is a 400 saying so, the user's own token enough", async () => {
  const user = fresh("deep");
  for (
    const body of [
      nestedObject(7_000),
      nestedArray(6_000),
      nestedArray(10_000),
      nestedObject(65),
      // Brackets inside strings are text, not nesting; the depth counted
      // is the real one.
      `{"a":${nestedArray(65)},"b":"${"[".repeat(200)}"}`,
    ]
  ) {
    const res = await patchPreferences(user, body);
    assert.equal(res.status, 400, body.slice(0, 40));
    const { error } = await read(res, errorBody);
    assert.equal(error.code, "bad_request");
    assert.match(error.message, /nested deeper than 64 levels/);
  }
});

test("a body nested within the limit is read as usual, brackets in strings not counted", async () => {
  const user = fresh("shallow");
  const res = await patchPreferences(
    user,
    `{"timezone":"${"[{".repeat(100)}","x":${nestedArray(63)}}`,
  );
  assert.equal(res.status, 400);
  const { error } = await read(res, errorBody);
  assert.equal(error.code, "validation_failed", error.message);
  // The body's own mistakes are named, not its depth.
  const ok = await patchPreferences(user, '{"timezone":"Europe/Paris"}');
  assert.equal(ok.status, 200, await ok.clone().text());
  await ok.body?.cancel();
});

suite.run();
