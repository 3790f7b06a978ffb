import { createRoute, z } from "@hono/zod-openapi";
import { callbackBodySchema } from "../domain/callbacks/callback_body.ts";
import { AppError, dependencyUnavailable } from "../errors.ts";
import { jsonOrNull } from "../http/json_body.ts";
import {
  errors,
  json,
  openApiRoutes,
  signedByQStash,
} from "../http/openapi.ts";
import { databaseOutageOf } from "../store/database_outage.ts";
import { verifyQStashSignature } from "../http/qstash_signature.ts";
import { dispatchCallback } from "../services/callbacks/dispatch_callback.ts";

const callback = createRoute({
  method: "post",
  operationId: "qstashCallback",
  path: "/v1/qstash/callback",
  tags: ["QStash"],
  summary: "QStash's deliveries",
  description: "The destination of every Herald schedule and message. The " +
    "signature is checked on the exact raw body against the public callback " +
    "URL, before the body is read; anything short of a valid one is a 401 " +
    "and writes nothing. Only QStash calls this.",
  security: signedByQStash,
  request: {
    // Documented, not validated here: the body is parsed only after the
    // signature check (a plain schema object adds no validator).
    body: {
      required: true,
      content: {
        "application/json": {
          schema: {
            type: "object",
            description: "A body Herald itself gave QStash; opaque to others.",
          },
        },
      },
    },
  },
  responses: {
    200: json(
      z.record(z.string(), z.unknown()),
      "What the delivery did (sent, duplicate, deferred, skipped, …)",
    ),
    ...errors(400, 401, 413),
  },
});

/**
 * The destination of every Herald schedule and message. The signature is
 * checked on the exact raw body and against the public callback URL, with
 * the current and the next signing key (the Receiver tries both); only then
 * is the body parsed.
 */
export const qstashCallbackRoutes = openApiRoutes()
  .openapi(callback, async (c) => {
    try {
      const ctx = c.get("ctx");
      const raw = await c.req.text();
      const signed = await verifyQStashSignature(
        ctx.config.qstash,
        c.req.header("upstash-signature"),
        raw,
        ctx.config.callbackUrl,
      );

      const messageId = c.req.header("upstash-message-id") ?? null;
      const scheduleId = c.req.header("upstash-schedule-id") ?? null;
      const retried = Number(c.req.header("upstash-retried") ?? 0) || 0;
      ctx.log.info("delivery.received", {
        requestId: c.get("requestId"),
        messageId,
        scheduleId,
        retried,
      });
      const body = callbackBodySchema.safeParse(jsonOrNull(raw));
      if (!body.success) {
        // Signed but not ours to read: a 4xx leaves it to QStash's DLQ.
        throw new AppError("bad_request", "Unrecognised callback body");
      }
      return c.json(
        await dispatchCallback({
          ctx,
          body: body.data,
          message: {
            messageId,
            scheduleId,
            retried,
            signed,
          },
        }),
        200,
      );
    } catch (error) {
      // A 503 without Retry-After: QStash honours that header, and its own
      // backoff (12 s, 2.5 min, 30 min, 6 h) outlasts an outage where a few
      // seconds each time would spend every retry within a minute and send
      // the occurrence to the DLQ.
      if (databaseOutageOf(error)) throw dependencyUnavailable("libsql", null);
      throw error;
    }
  });
