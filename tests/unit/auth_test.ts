import assert from "node:assert/strict";
import { sign } from "hono/jwt";
import { principalFromToken, timingSafeEqual } from "../../src/http/auth.ts";

const API_KEY = "admin-key-0123456789";
const SECRET = "s".repeat(40);

Deno.test("principalFromToken() knows the admin key", async () => {
  assert.deepEqual(await principalFromToken(API_KEY, API_KEY, SECRET), {
    kind: "admin",
  });
});

Deno.test("principalFromToken() reads sub and roles from a user JWT", async () => {
  const token = await sign({ sub: "ada", roles: ["ops"] }, SECRET, "HS256");
  assert.deepEqual(await principalFromToken(token, API_KEY, SECRET), {
    kind: "user",
    userId: "ada",
    roles: ["ops"],
    topics: [],
  });
});

Deno.test("principalFromToken() refuses a JWT signed with another secret, or expired, or without sub", async () => {
  const other = await sign({ sub: "ada" }, "x".repeat(40), "HS256");
  const expired = await sign({ sub: "ada", exp: 1 }, SECRET, "HS256");
  const noSub = await sign({ roles: [] }, SECRET, "HS256");
  for (const token of [other, expired, noSub, "garbage", API_KEY + "x"]) {
    assert.deepEqual(await principalFromToken(token, API_KEY, SECRET), null);
  }
});

Deno.test("timingSafeEqual() compares whole strings", () => {
  assert.deepEqual(timingSafeEqual("abc", "abc"), true);
  assert.deepEqual(timingSafeEqual("abc", "abd"), false);
  assert.deepEqual(timingSafeEqual("abc", "abcd"), false);
  assert.deepEqual(timingSafeEqual("", ""), true);
});
