import assert from "node:assert/strict";
import { sign } from "hono/jwt";
import { createApp } from "../../src/app.ts";
import { errorBody, read } from "../support/bodies.ts";
import { integrationSuite } from "../support/suite.ts";

const suite = integrationSuite("wrong methods and expired tokens");
const { test } = suite;

const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"];

/** Each path the app serves (params filled in) and the methods it serves. */
function servedPaths(): Map<string, Set<string>> {
  const app = createApp(() => {
    throw new Error("No request reaches this app");
  });
  const served = new Map<string, Set<string>>();
  for (const route of app.routes) {
    if (route.method === "ALL") continue; // middleware
    const path = route.path.replaceAll(/:\w+/g, "x");
    served.set(path, (served.get(path) ?? new Set()).add(route.method));
  }
  return served;
}

test("every served path answers a method it does not serve with 405 and an Allow of those it does", async () => {
  for (const [path, methods] of servedPaths()) {
    const wrong = METHODS.find((m) => !methods.has(m));
    assert.ok(wrong, path);
    const res = await suite.stack.admin(path, { method: wrong });
    assert.equal(res.status, 405, `${wrong} ${path}`);
    const allow = res.headers.get("allow")?.split(", ") ?? [];
    const expected = [...methods];
    if (methods.has("GET")) expected.push("HEAD");
    assert.deepEqual(allow.toSorted(), expected.toSorted(), path);
    const { error } = await read(res, errorBody);
    assert.equal(error.code, "method_not_allowed");
    assert.match(error.message, new RegExp(`^${wrong} is not served`));
    assert.equal(error.requestId, res.headers.get("x-request-id"));
  }
});

test("a wrong method is a 405 before credentials are asked for, HEAD included", async () => {
  const anonymous = await fetch(`${suite.stack.url}/v1/users/ada/preferences`, {
    method: "DELETE",
  });
  assert.equal(anonymous.status, 405);
  assert.equal(anonymous.headers.get("allow"), "GET, HEAD, PUT, PATCH");
  await anonymous.body?.cancel();
  // HEAD is answered by GET routes; where there is none it is a 405 too.
  const head = await fetch(`${suite.stack.url}/v1/notifications`, {
    method: "HEAD",
  });
  assert.equal(head.status, 405);
  assert.equal(head.headers.get("allow"), "POST");
  const served = await fetch(`${suite.stack.url}/health`, { method: "HEAD" });
  assert.equal(served.status, 200);
});

test("unknown paths stay 404 whatever the method", async () => {
  for (const method of ["GET", "POST", "DELETE"]) {
    for (const path of ["/nope", "/v1/users/ada", "/v1/notifications/x"]) {
      const res = await suite.stack.admin(path, { method });
      assert.equal(res.status, 404, `${method} ${path}`);
      assert.equal(res.headers.get("allow"), null);
      assert.equal((await read(res, errorBody)).error.code, "not_found");
    }
  }
});

const pastExp = () => Math.floor(Date.now() / 1000) - 60;

test("an expired user token is a 401 that says it expired, and nothing more", async () => {
  const exp = pastExp();
  const token = await sign(
    { sub: "expired-user", roles: ["ops"], iat: exp - 3600, exp },
    suite.stack.jwtSecret,
    "HS256",
  );
  for (const path of ["/v1/users/expired-user/notifications", "/v1/stream"]) {
    const res = await fetch(`${suite.stack.url}${path}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(res.status, 401, path);
    const { error } = await read(res, errorBody);
    assert.equal(error.code, "token_expired");
    assert.match(error.message, /has expired/);
    for (const secret of ["expired-user", "ops", String(exp)]) {
      assert.ok(!error.message.includes(secret), error.message);
    }
  }
});

test("an expired stream token is a 401 that says so; a forged expired one is only invalid", async () => {
  const exp = pastExp();
  const stream = await sign(
    { sub: "viewer", typ: "herald-stream", iat: exp - 120, exp },
    suite.stack.jwtSecret,
    "HS256",
  );
  const res = await fetch(`${suite.stack.url}/v1/stream?token=${stream}`);
  assert.equal(res.status, 401);
  const { error } = await read(res, errorBody);
  assert.equal(error.code, "token_expired");
  assert.match(error.message, /stream token has expired/);
  const forged = await sign(
    { sub: "viewer", iat: exp - 120, exp },
    "not-the-secret-".repeat(3),
    "HS256",
  );
  const refused = await fetch(
    `${suite.stack.url}/v1/users/viewer/preferences`,
    {
      headers: { authorization: `Bearer ${forged}` },
    },
  );
  assert.equal(refused.status, 401);
  const invalid = (await read(refused, errorBody)).error;
  assert.equal(invalid.code, "unauthorized");
  assert.equal(invalid.message, "Invalid credentials");
});

suite.run();
