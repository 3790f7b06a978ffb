import assert from "node:assert/strict";
import { ConfigError, parseConfig } from "../../src/config.ts";
import { VALID_ENV } from "../support/config_env.ts";

function configError(env: Record<string, unknown>): ConfigError {
  try {
    parseConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("parseConfig() accepted an invalid configuration");
}

Deno.test("parseConfig() derives the callback URL from PUBLIC_URL", () => {
  const config = parseConfig(VALID_ENV);
  assert.deepEqual(config.publicUrl, "https://herald.example");
  assert.deepEqual(
    config.callbackUrl,
    "https://herald.example/v1/qstash/callback",
  );
  assert.deepEqual(config.qstash.url, "https://qstash.upstash.io");
  assert.deepEqual(config.redis, null);
  assert.deepEqual(config.heartbeatMs, 15_000);
});

Deno.test("parseConfig() names every missing variable and never a value", () => {
  const error = configError({
    ...VALID_ENV,
    API_KEY: undefined,
    QSTASH_TOKEN: "",
  });
  assert.deepEqual(error.message.includes("API_KEY is missing"), true);
  assert.deepEqual(error.message.includes("QSTASH_TOKEN is missing"), true);
  const short = configError({ ...VALID_ENV, JWT_SECRET: "tooshort-secret" });
  assert.deepEqual(short.message.includes("JWT_SECRET"), true);
  assert.deepEqual(short.message.includes("tooshort-secret"), false);
});

Deno.test("parseConfig() ignores non-string bindings such as Durable Object namespaces", () => {
  const config = parseConfig({ ...VALID_ENV, CHANNELS: { idFromName() {} } });
  assert.deepEqual(config.apiKey, VALID_ENV.API_KEY);
});

Deno.test("parseConfig() wants the Redis URL and token together", () => {
  const alone = configError({
    ...VALID_ENV,
    UPSTASH_REDIS_REST_URL: "http://127.0.0.1:8079",
  });
  assert.match(alone.message, /must be set together/);
  const config = parseConfig({
    ...VALID_ENV,
    UPSTASH_REDIS_REST_URL: "http://127.0.0.1:8079",
    UPSTASH_REDIS_REST_TOKEN: "t",
  });
  assert.deepEqual(config.redis, { url: "http://127.0.0.1:8079", token: "t" });
});

Deno.test("parseConfig() refuses QSTASH_DEV outside the local stack", () => {
  for (const value of ["1", "true", "false"]) {
    const error = configError({ ...VALID_ENV, QSTASH_DEV: value });
    assert.match(error.message, /QSTASH_DEV must be unset/);
  }
  // The local stack (its clock follows the QStash dev server) may carry it.
  const local = parseConfig({
    ...VALID_ENV,
    QSTASH_DEV: "1",
    DEV_CLOCK: "qstash",
  });
  assert.equal(local.devClock, true);
});
