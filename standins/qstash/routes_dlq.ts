import { Hono } from "hono";
import { z } from "zod";
import { notFound } from "./api_error.ts";
import type { AppDeps, DevEnv } from "./app_deps.ts";
import {
  DEFAULT_PAGE_SIZE,
  deleteDlq,
  listDlq,
  retryDlq,
} from "./dead_letters.ts";
import { dlqFilterFrom } from "./query_filters.ts";
import { parseJsonBody, queryNumber } from "./request_parsing.ts";
import { dlqView } from "./views.ts";

/** `/v2/dlq…`: list, delete one or many, retry. */
const legacyBulkBody = z.object({ dlqIds: z.array(z.string()) });

function countFrom(params: URLSearchParams): number {
  const count = queryNumber(params, "count");
  return count !== undefined && count > 0
    ? Math.floor(count)
    : DEFAULT_PAGE_SIZE;
}

export function dlqRoutes(deps: AppDeps): Hono<DevEnv> {
  const app = new Hono<DevEnv>();

  app.get("/v2/dlq", (c) => {
    const params = new URL(c.req.url).searchParams;
    const cursor = Math.max(0, Math.floor(queryNumber(params, "cursor") ?? 0));
    const page = listDlq(
      deps.state,
      dlqFilterFrom(params),
      countFrom(params),
      cursor,
    );
    return c.json({
      messages: page.items.map(dlqView),
      ...(page.cursor ? { cursor: page.cursor } : {}),
    });
  });

  app.delete("/v2/dlq/:dlqId", async (c) => {
    const dlqId = c.req.param("dlqId");
    if (!deps.state.dlq.delete(dlqId)) {
      throw notFound(`dlq message ${dlqId} not found`);
    }
    deps.state.changed();
    await deps.persist();
    return c.body(null, 200);
  });

  app.delete("/v2/dlq", async (c) => {
    const params = new URL(c.req.url).searchParams;
    const filter = dlqFilterFrom(params);
    // Older SDKs sent the ids as a JSON body instead.
    const text = await c.req.text();
    if (text.trim() !== "") {
      filter.dlqIds = parseJsonBody(text, legacyBulkBody).dlqIds;
    }
    const result = deleteDlq(deps.state, filter, countFrom(params));
    await deps.persist();
    return c.json(result);
  });

  app.post("/v2/dlq/retry", async (c) => {
    const params = new URL(c.req.url).searchParams;
    const result = retryDlq(
      deps.state,
      dlqFilterFrom(params),
      countFrom(params),
      deps.clock.now(),
    );
    await deps.persist();
    deps.dispatcher.wake();
    return c.json({ cursor: result.cursor ?? "", responses: result.responses });
  });

  return app;
}
