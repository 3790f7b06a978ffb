import { z } from "zod";
import { type VapidKeys, vapidKeysProblem } from "./domain/push/vapid.ts";

/**
 * Herald's configuration, parsed once per runtime from its environment
 * (Worker bindings, `Deno.env`). Anything missing or malformed fails closed
 * with a message that names the variable, never the value.
 */
const optionalUrl = z.url().optional();

const configSchema = z.object({
  API_KEY: z.string().min(16, "must be at least 16 characters"),
  JWT_SECRET: z.string().min(32, "must be at least 32 characters"),
  PUBLIC_URL: z.url(),
  LIBSQL_URL: z.string().min(1),
  LIBSQL_AUTH_TOKEN: z.string().optional(),
  LIBSQL_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000)
    .default(10_000),
  QSTASH_URL: z.url().default("https://qstash.upstash.io"),
  QSTASH_TOKEN: z.string().min(1),
  QSTASH_CURRENT_SIGNING_KEY: z.string().min(1),
  QSTASH_NEXT_SIGNING_KEY: z.string().min(1),
  UPSTASH_REDIS_REST_URL: optionalUrl,
  UPSTASH_REDIS_REST_TOKEN: z.string().optional(),
  DEFAULT_TIMEZONE: z.string().default("UTC"),
  HEARTBEAT_MS: z.coerce.number().int().min(1000).max(600_000).default(15_000),
  // A broadcast makes one request per shard: at most the 10,000 requests a
  // Worker request may make on a paid plan.
  REALTIME_SHARDS: z.coerce.number().int().min(1).max(10_000).default(16),
  CORS_ORIGINS: z.string().default(""),
  // A Standard Webhooks secret: `whsec_` and the base64 of 24–64 bytes.
  WEBHOOK_SECRET: z.string().refine(isWebhookSecret, {
    error: 'must be "whsec_" followed by the base64 of 24 to 64 bytes',
  }).optional(),
  // Local stack only: event webhook endpoints may be http on loopback.
  WEBHOOK_ALLOW_LOOPBACK: z.enum(["true"], 'must be "true" or unset')
    .optional(),
  CONTENT_WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(30_000)
    .default(3_000),
  DEV_CLOCK: z.enum(["qstash"], 'must be "qstash" or unset').optional(),
  VAPID_PUBLIC_KEY: z.string().optional(),
  VAPID_PRIVATE_KEY: z.string().optional(),
  VAPID_SUBJECT: z.string().optional(),
  // Local stack only: the push stand-in's loopback http origin.
  PUSH_DEV_ORIGIN: z.url({ protocol: /^http$/ }).optional(),
  SCHEDULE_PLACEMENT: z.enum(
    ["slots", "per-user"],
    'must be "slots" or "per-user"',
  ).default("slots"),
});

export interface Config {
  apiKey: string;
  jwtSecret: string;
  publicUrl: string;
  /** Where QStash delivers every Herald schedule and message. */
  callbackUrl: string;
  /**
   * `timeoutMs`: a libSQL request with no complete answer by then is given
   * up, and the request that made it answers 503.
   */
  libsql: { url: string; authToken?: string; timeoutMs: number };
  qstash: {
    url: string;
    token: string;
    currentSigningKey: string;
    nextSigningKey: string;
  };
  redis: { url: string; token: string } | null;
  defaultTimezone: string;
  heartbeatMs: number;
  /** Shard objects holding live connections (Workers; Deno has one hub). */
  realtimeShards: number;
  corsOrigins: string[];
  /**
   * Signs Herald's own outgoing calls (content and job webhooks): a
   * `whsec_…` WEBHOOK_SECRET, or else JWT_SECRET used as raw bytes (the
   * host app already holds it; it verifies with `format: "raw"`).
   */
  webhookSecret: string;
  /**
   * Local stack only (the dev launcher and test stacks set it): event
   * webhook endpoints on loopback, over http, are accepted.
   */
  webhookAllowLoopback: boolean;
  contentWebhookTimeoutMs: number;
  /**
   * Local stack only: Herald's clock follows the QStash dev server's virtual
   * clock (`ports/dev_clock.ts`). Never set in production.
   */
  devClock: boolean;
  /**
   * Where users' schedules live in QStash: shared time slots (one schedule
   * per UTC minute in use) or one schedule per user, type and time.
   */
  schedulePlacement: "slots" | "per-user";
  /** Web Push's VAPID identity; null: push is off. */
  push: VapidKeys | null;
  /**
   * Local stack only: the push stand-in's origin, whose http endpoints
   * subscriptions may name (every other endpoint must be https).
   */
  pushDevOrigin: string | null;
}

function isWebhookSecret(value: string): boolean {
  const key = /^whsec_([A-Za-z0-9+/]+={0,2})$/.exec(value)?.[1];
  if (key === undefined) return false;
  try {
    const bytes = atob(key).length;
    return bytes >= 24 && bytes <= 64;
  } catch {
    return false;
  }
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Reads only string values: Worker envs also carry bindings (DOs, KV). */
function stringEntries(env: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (typeof value === "string" && value !== "") out[key] = value;
  }
  return out;
}

export function parseConfig(env: Record<string, unknown>): Config {
  const parsed = configSchema.safeParse(stringEntries(env));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const name = issue.path.join(".");
      return issue.code === "invalid_type"
        ? `${name} is missing`
        : `${name} ${issue.message}`;
    });
    throw new ConfigError(
      `Herald's configuration is invalid: ${problems.join("; ")}`,
    );
  }
  const e = parsed.data;
  const redisUrl = e.UPSTASH_REDIS_REST_URL;
  const redisToken = e.UPSTASH_REDIS_REST_TOKEN;
  if (Boolean(redisUrl) !== Boolean(redisToken)) {
    throw new ConfigError(
      "Herald's configuration is invalid: UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN must be set together",
    );
  }
  // The QStash SDK trusts its published dev signing keys when it sees
  // QSTASH_DEV (Herald pins every client against that), and a deployment
  // that sets it means to: only the local stack, whose clock follows the
  // QStash dev server, may carry it.
  const qstashDev = stringEntries(env).QSTASH_DEV;
  if (qstashDev !== undefined && e.DEV_CLOCK !== "qstash") {
    throw new ConfigError(
      "Herald's configuration is invalid: QSTASH_DEV must be unset outside the local stack (DEV_CLOCK=\"qstash\"): it makes QStash's SDK trust its published dev keys",
    );
  }
  const push = vapidOf(e);
  if (e.PUSH_DEV_ORIGIN !== undefined && e.DEV_CLOCK !== "qstash") {
    throw new ConfigError(
      'Herald\'s configuration is invalid: PUSH_DEV_ORIGIN must be unset outside the local stack (DEV_CLOCK="qstash"): it lets push subscriptions name an http endpoint',
    );
  }
  const publicUrl = e.PUBLIC_URL.replace(/\/+$/, "");
  return {
    apiKey: e.API_KEY,
    jwtSecret: e.JWT_SECRET,
    publicUrl,
    callbackUrl: `${publicUrl}/v1/qstash/callback`,
    libsql: {
      url: e.LIBSQL_URL,
      authToken: e.LIBSQL_AUTH_TOKEN,
      timeoutMs: e.LIBSQL_TIMEOUT_MS,
    },
    qstash: {
      url: e.QSTASH_URL.replace(/\/+$/, ""),
      token: e.QSTASH_TOKEN,
      currentSigningKey: e.QSTASH_CURRENT_SIGNING_KEY,
      nextSigningKey: e.QSTASH_NEXT_SIGNING_KEY,
    },
    redis: redisUrl && redisToken ? { url: redisUrl, token: redisToken } : null,
    defaultTimezone: e.DEFAULT_TIMEZONE,
    heartbeatMs: e.HEARTBEAT_MS,
    realtimeShards: e.REALTIME_SHARDS,
    corsOrigins: e.CORS_ORIGINS.split(",").map((s) => s.trim()).filter(Boolean),
    webhookSecret: e.WEBHOOK_SECRET ?? e.JWT_SECRET,
    webhookAllowLoopback: e.WEBHOOK_ALLOW_LOOPBACK === "true",
    contentWebhookTimeoutMs: e.CONTENT_WEBHOOK_TIMEOUT_MS,
    devClock: e.DEV_CLOCK === "qstash",
    schedulePlacement: e.SCHEDULE_PLACEMENT,
    push,
    pushDevOrigin: e.PUSH_DEV_ORIGIN ? new URL(e.PUSH_DEV_ORIGIN).origin : null,
  };
}

/** The three VAPID variables, all or none, checked as a pair that matches. */
function vapidOf(e: z.output<typeof configSchema>): VapidKeys | null {
  const set = [e.VAPID_PUBLIC_KEY, e.VAPID_PRIVATE_KEY, e.VAPID_SUBJECT];
  if (set.every((v) => v === undefined)) return null;
  const [publicKey, privateKey, subject] = set;
  if (!publicKey || !privateKey || !subject) {
    throw new ConfigError(
      "Herald's configuration is invalid: VAPID_PUBLIC_KEY, VAPID_PRIVATE_KEY and VAPID_SUBJECT must be set together (or none, and push is off)",
    );
  }
  const keys = { publicKey, privateKey, subject };
  const problem = vapidKeysProblem(keys);
  if (problem) {
    throw new ConfigError(`Herald's configuration is invalid: ${problem}`);
  }
  return keys;
}
