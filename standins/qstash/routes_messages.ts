import { Hono } from "hono";
import { z } from "zod";
import { notFound } from "./api_error.ts";
import type { AppDeps, DevEnv } from "./app_deps.ts";
import { cancelMessages } from "./message_queue.ts";
import { messageFilterFrom } from "./query_filters.ts";
import { parseJsonBody } from "./request_parsing.ts";
import { messageView } from "./views.ts";

/** `GET`/`DELETE /v2/messages/{id}` and bulk `DELETE /v2/messages`. */
const legacyBulkBody = z.object({ messageIds: z.array(z.string()) });

export function messageRoutes(deps: AppDeps): Hono<DevEnv> {
  const app = new Hono<DevEnv>();

  app.get("/v2/messages/:id", (c) => {
    const message = deps.state.messages.get(c.req.param("id"));
    if (!message) throw notFound(`message ${c.req.param("id")} not found`);
    return c.json(messageView(message));
  });

  // The SDK JSON-parses this reply, so it must have a JSON body.
  app.delete("/v2/messages/:id", async (c) => {
    const id = c.req.param("id");
    if (!deps.state.messages.has(id)) throw notFound(`message ${id} not found`);
    const cancelled = cancelMessages(deps.state, { messageIds: [id] });
    await deps.persist();
    return c.json({ cancelled });
  });

  app.delete("/v2/messages", async (c) => {
    const filter = messageFilterFrom(new URL(c.req.url).searchParams);
    // Older SDKs sent the ids as a JSON body instead.
    const text = await c.req.text();
    if (text.trim() !== "") {
      filter.messageIds = parseJsonBody(text, legacyBulkBody).messageIds;
    }
    const cancelled = cancelMessages(deps.state, filter);
    await deps.persist();
    return c.json({ cancelled });
  });

  return app;
}
