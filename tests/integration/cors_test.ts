import assert from "node:assert/strict";
import { integrationSuite } from "../support/suite.ts";

const ALLOWED = "https://app.example";
const suite = integrationSuite("CORS for configured origins", {
  vars: { CORS_ORIGINS: `${ALLOWED}, https://admin.example` },
});

suite.test("a preflight from an allowed origin is answered; others get no CORS headers", async () => {
  const preflight = (origin: string) =>
    fetch(`${suite.stack.url}/v1/users/ada/notifications`, {
      method: "OPTIONS",
      headers: {
        origin,
        "access-control-request-method": "GET",
        "access-control-request-headers": "authorization",
      },
    });
  const allowed = await preflight(ALLOWED);
  await allowed.body?.cancel();
  assert.equal(allowed.headers.get("access-control-allow-origin"), ALLOWED);
  assert.match(
    allowed.headers.get("access-control-allow-headers") ?? "",
    /authorization/i,
  );
  const other = await preflight("https://evil.example");
  await other.body?.cancel();
  assert.equal(other.headers.get("access-control-allow-origin"), null);
});

suite.test("API responses and the SSE stream carry the allowed origin", async () => {
  const token = await suite.stack.userToken("ada");
  const res = await fetch(`${suite.stack.url}/v1/users/ada/notifications`, {
    headers: { origin: ALLOWED, authorization: `Bearer ${token}` },
  });
  await res.body?.cancel();
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("access-control-allow-origin"), ALLOWED);
  const stream = await fetch(`${suite.stack.url}/v1/stream`, {
    headers: { origin: ALLOWED, authorization: `Bearer ${token}` },
  });
  assert.equal(stream.status, 200);
  assert.equal(stream.headers.get("access-control-allow-origin"), ALLOWED);
  await stream.body?.cancel();
});

suite.test("a 405 lists OPTIONS among the path's methods, since preflights are answered", async () => {
  const res = await fetch(`${suite.stack.url}/v1/users/ada/notifications`, {
    method: "DELETE",
    headers: { origin: ALLOWED },
  });
  await res.body?.cancel();
  assert.equal(res.status, 405);
  assert.equal(res.headers.get("allow"), "GET, HEAD, OPTIONS");
  assert.equal(res.headers.get("access-control-allow-origin"), ALLOWED);
  assert.match(
    res.headers.get("access-control-expose-headers") ?? "",
    /allow/i,
  );
});

suite.run();
