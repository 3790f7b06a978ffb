import { type Context, Hono } from "hono";
import { callbackBodySchema } from "../domain/callback_body.ts";
import { AppError, dependencyUnavailable } from "../errors.ts";
import type { HonoEnv } from "../http/env.ts";
import { jsonOrNull } from "../http/json_body.ts";
import { databaseOutageOf } from "../ports/database_outage.ts";
import { verifyQStashSignature } from "../http/qstash_signature.ts";
import { deliverOccurrence } from "../services/deliver_occurrence.ts";
import { handleSystemCallback } from "../services/handle_system_callback.ts";

/**
 * The destination of every Herald schedule and message. The signature is
 * checked on the exact raw body and against the public callback URL, with
 * the current and the next signing key (the Receiver tries both); only then
 * is the body parsed.
 */
export const qstashCallbackRoutes = new Hono<HonoEnv>()
  .post("/v1/qstash/callback", async (c) => {
    try {
      return await handleCallback(c);
    } catch (error) {
      // A 503 without Retry-After: QStash honours that header, and its own
      // backoff (12 s, 2.5 min, 30 min, 6 h) outlasts an outage where a few
      // seconds each time would spend every retry within a minute and send
      // the occurrence to the DLQ.
      if (databaseOutageOf(error)) throw dependencyUnavailable("libsql", null);
      throw error;
    }
  });

async function handleCallback(c: Context<HonoEnv>): Promise<Response> {
  const deps = c.get("deps");
  const raw = await c.req.text();
  await verifyQStashSignature(
    deps.config.qstash,
    c.req.header("upstash-signature"),
    raw,
    deps.config.callbackUrl,
  );

  deps.log.info("delivery.received", {
    requestId: c.get("requestId"),
    messageId: c.req.header("upstash-message-id") ?? null,
    scheduleId: c.req.header("upstash-schedule-id") ?? null,
    retried: Number(c.req.header("upstash-retried") ?? 0),
  });
  const body = callbackBodySchema.safeParse(jsonOrNull(raw));
  if (!body.success) {
    // Signed but not ours to read: a 4xx leaves it to QStash's DLQ.
    throw new AppError("bad_request", "Unrecognised callback body");
  }
  const data = body.data;
  if (data.kind !== "user-schedule" && data.kind !== "deferred") {
    return c.json(
      await handleSystemCallback(deps, data, {
        messageId: c.req.header("upstash-message-id") ?? null,
        background: c.get("background"),
      }),
    );
  }
  return c.json(
    await deliverOccurrence(deps, data, {
      scheduleId: c.req.header("upstash-schedule-id") ?? null,
      background: c.get("background"),
    }),
  );
}
