import assert from "node:assert/strict";
import { Hono } from "hono";
import { allowedMethods } from "../../src/http/allowed_methods.ts";

const app = new Hono()
  .use("/v1/*", async (_c, next) => await next())
  .get("/v1/items/:id", (c) => c.text("one"))
  .put("/v1/items/:id", (c) => c.text("put"))
  .post("/v1/items/:id/archive", (c) => c.text("archived"))
  .post("/v1/items", (c) => c.text("made"));
const allowedFor = allowedMethods(app.routes);

Deno.test("allowedMethods() lists what a path's routes serve, HEAD beside GET", () => {
  assert.deepEqual(allowedFor("/v1/items/42"), ["GET", "HEAD", "PUT"]);
  assert.deepEqual(allowedFor("/v1/items/42/archive"), ["POST"]);
  assert.deepEqual(allowedFor("/v1/items"), ["POST"]);
});

Deno.test("allowedMethods() lists nothing for a path no route serves, middleware or not", () => {
  assert.deepEqual(allowedFor("/v1/nothing"), []);
  assert.deepEqual(allowedFor("/v1/items/42/other"), []);
  assert.deepEqual(allowedFor("/elsewhere"), []);
});
