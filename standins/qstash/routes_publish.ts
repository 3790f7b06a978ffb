import { Hono } from "hono";
import { z } from "zod";
import type { AppDeps, DevEnv } from "./app_deps.ts";
import { publish, type PublishResult } from "./message_queue.ts";
import { readPublishRequest } from "./publish_request.ts";
import { destinationAfter, parseJsonBody } from "./request_parsing.ts";

/** `POST /v2/publish/{destination}` and `POST /v2/batch`. */
const batchBody = z.array(z.object({
  destination: z.string(),
  headers: z.record(z.string(), z.string()).optional(),
  body: z.string().optional(),
  queue: z.string().optional(),
}));

function publishView(result: PublishResult) {
  return {
    messageId: result.messageId,
    url: result.url,
    ...(result.deduplicated ? { deduplicated: true } : {}),
  };
}

export function publishRoutes(deps: AppDeps): Hono<DevEnv> {
  const app = new Hono<DevEnv>();

  app.post("/v2/publish/*", async (c) => {
    const nowMs = deps.clock.now();
    const draft = await readPublishRequest({
      destination: destinationAfter(c.req.url, "/v2/publish/"),
      headers: c.req.raw.headers,
      body: new Uint8Array(await c.req.arrayBuffer()),
      callerIp: c.env.callerIp,
      nowMs,
    });
    const result = publish(deps.state, draft, nowMs);
    await deps.persist();
    deps.dispatcher.wake();
    // A duplicate is accepted but not enqueued: 202 and the original id.
    return c.json(publishView(result), result.deduplicated ? 202 : 200);
  });

  app.post("/v2/batch", async (c) => {
    const items = parseJsonBody(await c.req.text(), batchBody);
    const nowMs = deps.clock.now();
    const encoder = new TextEncoder();
    // Read every item before enqueuing any, so a bad item rejects the batch
    // without a partial write.
    const drafts = await Promise.all(items.map((item) =>
      readPublishRequest({
        destination: item.destination,
        headers: new Headers(item.headers ?? {}),
        body: encoder.encode(item.body ?? ""),
        callerIp: c.env.callerIp,
        nowMs,
      })
    ));
    const results = drafts.map((draft) => publish(deps.state, draft, nowMs));
    await deps.persist();
    deps.dispatcher.wake();
    return c.json(results.map(publishView));
  });

  return app;
}
