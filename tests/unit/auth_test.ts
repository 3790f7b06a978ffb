import assert from "node:assert/strict";
import { sign } from "hono/jwt";
import { AppError } from "../../src/errors.ts";
import {
  principalFromStreamToken,
  principalFromToken,
  timingSafeEqual,
} from "../../src/http/auth.ts";

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

Deno.test("principalFromToken() refuses a JWT signed with another secret (expired or not), or without sub", async () => {
  const other = await sign({ sub: "ada" }, "x".repeat(40), "HS256");
  // Forged and expired: invalid, never "expired" (that is said of ours only).
  const forgedExpired = await sign({ sub: "ada", exp: 1 }, "x".repeat(40));
  const noSub = await sign({ roles: [] }, SECRET, "HS256");
  for (const token of [other, forgedExpired, noSub, "garbage", `${API_KEY}x`]) {
    assert.deepEqual(await principalFromToken(token, API_KEY, SECRET), null);
  }
});

Deno.test("principalFromToken() says token_expired for our own JWT past its exp, and nothing else", async () => {
  const expired = await sign({ sub: "ada", exp: 1 }, SECRET, "HS256");
  await assert.rejects(
    principalFromToken(expired, API_KEY, SECRET),
    (error: unknown) =>
      error instanceof AppError && error.code === "token_expired" &&
      !error.message.includes("ada") && error.details === undefined,
  );
});

Deno.test("principalFromStreamToken() says token_expired for an expired stream token", async () => {
  const expired = await sign(
    { sub: "ada", typ: "herald-stream", exp: 1 },
    SECRET,
    "HS256",
  );
  await assert.rejects(
    principalFromStreamToken(expired, SECRET),
    (error: unknown) =>
      error instanceof AppError && error.code === "token_expired" &&
      /stream token has expired/.test(error.message),
  );
  // A user JWT where a stream token belongs is invalid, expired or not.
  const jwt = await sign({ sub: "ada", exp: 1 }, SECRET, "HS256");
  assert.equal(await principalFromStreamToken(jwt, SECRET), null);
});

Deno.test("timingSafeEqual() compares whole strings", () => {
  assert.deepEqual(timingSafeEqual("abc", "abc"), true);
  assert.deepEqual(timingSafeEqual("abc", "abd"), false);
  assert.deepEqual(timingSafeEqual("abc", "abcd"), false);
  assert.deepEqual(timingSafeEqual("", ""), true);
});
