import { Hono } from "hono";
import { callbackBodySchema } from "../domain/callback_body.ts";
import { AppError } from "../errors.ts";
import type { HonoEnv } from "../http/env.ts";
import { jsonOrNull } from "../http/json_body.ts";
import { verifyQStashSignature } from "../http/qstash_signature.ts";
import type { AppDeps } from "../deps.ts";
import { deliverOccurrence } from "../services/deliver_occurrence.ts";
import { deliverSlotPage } from "../services/deliver_slot.ts";
import { handleSystemCallback } from "../services/handle_system_callback.ts";

/**
 * The destination of every Herald schedule and message. The signature is
 * checked on the exact raw body and against the public callback URL, with
 * the current and the next signing key (the Receiver tries both); only then
 * is the body parsed.
 */
export const qstashCallbackRoutes = new Hono<HonoEnv>()
  .post("/v1/qstash/callback", async (c) => {
    const deps = c.get("deps");
    const raw = await c.req.text();
    await verifyQStashSignature(
      deps.config.qstash,
      c.req.header("upstash-signature"),
      raw,
      deps.config.callbackUrl,
    );

    const messageId = c.req.header("upstash-message-id") ?? null;
    const scheduleId = c.req.header("upstash-schedule-id") ?? null;
    const retried = Number(c.req.header("upstash-retried") ?? 0) || 0;
    deps.log.info("delivery.received", {
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
    const data = body.data;
    const background = c.get("background");
    switch (data.kind) {
      case "user-schedule":
      case "deferred":
        return c.json(
          await deliverOccurrence(deps, data, {
            scheduleId,
            firedAt: await firedAt(deps, messageId, retried),
            background,
          }),
        );
      case "slot":
      case "slot-page":
        return c.json(
          await deliverSlotPage(deps, data, { messageId, background }),
        );
      default:
        return c.json(
          await handleSystemCallback(deps, data, { messageId, background }),
        );
    }
  });

/**
 * When a per-user schedule fired. A first attempt arrives within moments
 * of it, so its arrival names it; a retry (a minute, a night or a day
 * later) asks QStash when it made the message — that is the firing.
 */
async function firedAt(
  deps: AppDeps,
  messageId: string | null,
  retried: number,
): Promise<number> {
  if (retried === 0 || messageId === null) return deps.now();
  return await deps.scheduler.messageCreatedAt(messageId)
    .catch(() => null) ?? deps.now();
}
