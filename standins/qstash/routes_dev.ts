import { Hono } from "hono";
import { z } from "zod";
import { badRequest } from "./api_error.ts";
import type { AppDeps, DevEnv } from "./app_deps.ts";
import { parseJsonBody } from "./request_parsing.ts";

/**
 * Dev-only controls (not in QStash), behind the same token:
 * - `GET /v2/dev/clock` → `{now}` (ms, virtual clock);
 * - `POST /v2/dev/clock` with `{"set": ms | ISO string}` or
 *   `{"advance": ms}` → replays every schedule occurrence and delivery that
 *   falls due on the way, in time order, and answers once they are done:
 *   `{now, delivered: [{messageId, scheduleId?, url, status, retried, at,
 *   outcome}]}`; moving the clock back only realigns schedules;
 * - `POST /v2/dev/schedules/{id}/fire` → fires the schedule now (a real,
 *   signed delivery, awaited) → `{messageId, status}`;
 * - `POST /v2/dev/clock/followers` with `{"url"}` → `{now}`: the URL is told
 *   the virtual time, signed like a delivery, whenever the clock jumps
 *   (`clock_followers.ts`); the answer is the time to start from;
 * - `GET|POST|DELETE /v2/dev/faults`: failures, delays and outages to
 *   inject (`faultRoutes()` of `@herald/standin-faults`).
 */
const clockBody = z.union([
  z.object({ set: z.union([z.number(), z.string()]) }).strict(),
  z.object({ advance: z.number() }).strict(),
]);

const followerBody = z.object({ url: z.url() }).strict();

function targetOf(body: z.infer<typeof clockBody>, nowMs: number): number {
  if ("advance" in body) return nowMs + body.advance;
  const target = typeof body.set === "number" ? body.set : Date.parse(body.set);
  if (!Number.isFinite(target)) {
    throw badRequest(`invalid clock time "${body.set}"`);
  }
  return target;
}

export function devRoutes(deps: AppDeps): Hono<DevEnv> {
  const app = new Hono<DevEnv>();

  app.get("/v2/dev/clock", (c) => c.json({ now: deps.clock.now() }));

  app.post("/v2/dev/clock", async (c) => {
    const body = parseJsonBody(await c.req.text(), clockBody);
    const result = await deps.dispatcher.advanceTo(
      targetOf(body, deps.clock.now()),
    );
    await deps.persist();
    return c.json({ now: deps.clock.now(), ...result });
  });

  app.post("/v2/dev/clock/followers", async (c) => {
    const { url } = parseJsonBody(await c.req.text(), followerBody);
    deps.followers.add(url);
    await deps.persist();
    return c.json({ now: deps.clock.now() });
  });

  app.post("/v2/dev/schedules/:id/fire", async (c) => {
    const report = await deps.dispatcher.fireNow(c.req.param("id"));
    await deps.persist();
    return c.json({ messageId: report.messageId, status: report.status });
  });

  return app;
}
