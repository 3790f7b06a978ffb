import assert from "node:assert/strict";
import { Hono } from "hono";
import type { HonoEnv } from "../../src/http/env.ts";
import { bodyLimit } from "../../src/http/body_limit.ts";
import { handleError } from "../../src/http/errors.ts";

function app() {
  const app = new Hono<HonoEnv>();
  app.onError(handleError);
  app.use(bodyLimit(10));
  app.post("/", async (c) => c.text(`read ${(await c.req.text()).length}`));
  return app;
}

function chunked(text: string): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  return new ReadableStream({
    start(controller) {
      for (let i = 0; i < bytes.length; i += 4) {
        controller.enqueue(bytes.subarray(i, i + 4));
      }
      controller.close();
    },
  });
}

Deno.test("a chunked body within the limit reaches the handler whole", async () => {
  const res = await app().request("/", {
    method: "POST",
    body: chunked("123456789"),
    headers: { "transfer-encoding": "chunked" },
  });
  assert.equal(await res.text(), "read 9");
});

Deno.test("a chunked body over the limit is a 413 after it is read", async () => {
  let pulled = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (++pulled > 8) return controller.close();
      controller.enqueue(new Uint8Array(4));
    },
  });
  const res = await app().request("/", {
    method: "POST",
    body,
    headers: { "transfer-encoding": "chunked" },
  });
  assert.equal(res.status, 413);
  assert.equal(
    ((await res.json()) as { error: { code: string } }).error.code,
    "payload_too_large",
  );
  assert.equal(pulled, 9, "the whole body was read, then dropped");
});

Deno.test("a declared length over the limit is a 413", async () => {
  const res = await app().request("/", {
    method: "POST",
    body: "12345678901",
    headers: { "content-length": "11" },
  });
  assert.equal(res.status, 413);
});
