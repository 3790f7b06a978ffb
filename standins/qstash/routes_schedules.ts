import { Hono } from "hono";
import { notFound } from "./api_error.ts";
import type { AppDeps, DevEnv } from "./app_deps.ts";
import { destinationAfter } from "./request_parsing.ts";
import { readScheduleRequest } from "./schedule_request.ts";
import { scheduleView } from "./views.ts";

/**
 * `/v2/schedules…`. Creation and pause/resume share a path shape
 * (`/v2/schedules/{destination}` vs `/v2/schedules/{id}/pause`), so one
 * handler tells them apart: an id is a single segment, a destination is a
 * URL with slashes of its own.
 */
const PREFIX = "/v2/schedules/";
const TOGGLE = /^([^/]+)\/(pause|resume)$/;

export function scheduleRoutes(deps: AppDeps): Hono<DevEnv> {
  const app = new Hono<DevEnv>();

  app.get("/v2/schedules", (c) => c.json(deps.book.list().map(scheduleView)));

  app.get(
    "/v2/schedules/:id",
    (c) => c.json(scheduleView(deps.book.get(c.req.param("id")))),
  );

  app.delete("/v2/schedules/:id", async (c) => {
    deps.book.delete(c.req.param("id"));
    await deps.persist();
    return c.body(null, 200);
  });

  // The SDK pauses and resumes with PATCH; QStash's OpenAPI document says
  // POST. Both are accepted.
  app.on(["POST", "PATCH"], `${PREFIX}*`, async (c) => {
    const rest = new URL(c.req.url).pathname.slice(PREFIX.length);
    const toggle = TOGGLE.exec(rest);
    if (toggle) {
      const [, id = "", action] = toggle;
      deps.book.setPaused(id, action === "pause", deps.clock.now());
      await deps.persist();
      deps.dispatcher.wake();
      return c.body(null, 200);
    }
    if (c.req.method !== "POST") throw notFound("not found");
    const draft = readScheduleRequest({
      destination: destinationAfter(c.req.url, PREFIX),
      headers: c.req.raw.headers,
      body: new Uint8Array(await c.req.arrayBuffer()),
      callerIp: c.env.callerIp,
    });
    const scheduleId = deps.book.upsert(draft, deps.clock.now());
    await deps.persist();
    deps.dispatcher.wake();
    return c.json({ scheduleId });
  });

  return app;
}
