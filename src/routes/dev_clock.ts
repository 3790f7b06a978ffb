import { Hono } from "hono";
import { z } from "zod";
import { AppError } from "../errors.ts";
import type { HonoEnv } from "../http/env.ts";
import { jsonOrNull } from "../http/json_body.ts";
import { devClockUrl } from "../adapters/dev_clock.ts";
import { verifyQStashSignature } from "../http/qstash_signature.ts";

const announcement = z.object({ now: z.number().int().nonnegative() });

/**
 * Local stack only (`DEV_CLOCK=qstash`): the QStash dev server announces a
 * jump of its virtual clock here, signed like a delivery, before it replays
 * anything at the new time (`ports/dev_clock.ts`). Without the setting the
 * route does not exist.
 */
export const devClockRoutes = new Hono<HonoEnv>()
  .post("/v1/dev/clock", async (c) => {
    const ctx = c.get("ctx");
    if (!ctx.devClock) throw new AppError("not_found", "No such route");
    const raw = await c.req.text();
    await verifyQStashSignature(
      ctx.config.qstash,
      c.req.header("upstash-signature"),
      raw,
      devClockUrl(ctx.config.publicUrl),
    );
    const parsed = announcement.safeParse(jsonOrNull(raw));
    if (!parsed.success) {
      throw new AppError("bad_request", 'Expected {"now": <ms>}');
    }
    ctx.devClock.set(parsed.data.now);
    return c.json({ now: ctx.now() });
  });
