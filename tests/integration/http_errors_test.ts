import assert from "node:assert/strict";
import { createApp } from "../../src/app.ts";
import { errorBody, read } from "../support/bodies.ts";
import { integrationSuite } from "../support/suite.ts";

const suite = integrationSuite("methods a path does not serve");
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

suite.run();
