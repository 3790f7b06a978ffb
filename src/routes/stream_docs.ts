import { z } from "@hono/zod-openapi";
import type { OpenAPIHono } from "@hono/zod-openapi";
import {
  adminOnly,
  errors,
  json,
  STREAM_TOKEN,
  USER_TOKEN,
  userOnly,
} from "../http/openapi.ts";

/**
 * The OpenAPI entries of the stream and real-time routes. Those routes are
 * plain Hono (`stream.ts`, `realtime.ts`) while the real-time layer is
 * rebuilt, so their description is registered here by hand; when they
 * become `createRoute` routes these entries move into them.
 */
export function describeRealtimeRoutes(
  registry: OpenAPIHono["openAPIRegistry"],
): void {
  const tags = ["Real time"];
  registry.registerPath({
    method: "post",
    path: "/v1/stream/token",
    operationId: "createStreamToken",
    tags,
    summary: "A short-lived token to open a stream",
    description: "For clients that cannot set headers (`EventSource`): " +
      "valid 2 minutes, carries the caller's roles and topics, and is good " +
      "only for `GET /v1/stream`.",
    security: userOnly,
    responses: {
      200: json(
        z.object({
          token: z.string(),
          expiresAt: z.string().openapi({ format: "date-time" }),
          url: z.string().openapi({
            description: "`<PUBLIC_URL>/v1/stream?token=…`, ready to open.",
          }),
        }),
        "The token and the stream URL",
      ),
      ...errors(401, 403),
    },
  });

  registry.registerPath({
    method: "get",
    path: "/v1/stream",
    operationId: "openStream",
    tags,
    summary: "The user's live stream (SSE or WebSocket)",
    description: [
      "Server-Sent Events by default; with `Upgrade: websocket`, the same " +
      "events as WebSocket messages. Carries the user's own channel and the " +
      "roles and topics in their token.",
      "",
      "Events: `connected`; `notification` (the inbox item, see " +
      "`Notification`); `count` (`{unread}` after every change); `reset` " +
      "(the requested position is older than the replay log: refetch the " +
      "inbox). Every event has an `id:`; `retry:` is sent once and a `: hb` " +
      "comment every `HEARTBEAT_MS`. Resume with `Last-Event-ID` (or " +
      "`?lastEventId=` on a first connect) to receive exactly what was " +
      "missed.",
    ].join("\n"),
    security: [{ [USER_TOKEN]: [] }, { [STREAM_TOKEN]: [] }],
    request: {
      query: z.object({
        lastEventId: z.string().optional().openapi({
          description: "Resume after this id on a first connect.",
        }),
      }),
      headers: z.object({
        "last-event-id": z.string().optional().openapi({
          description: "Sent by `EventSource` when it reconnects.",
        }),
      }),
    },
    responses: {
      101: { description: "Switched to a WebSocket (`Upgrade: websocket`)" },
      200: {
        description: "The event stream (`Cache-Control: no-cache, " +
          "no-transform`, `X-Accel-Buffering: no`)",
        content: { "text/event-stream": { schema: z.string() } },
      },
      ...errors(401, 403, 429),
    },
  });

  registry.registerPath({
    method: "get",
    path: "/v1/realtime/status",
    operationId: "realtimeStatus",
    tags,
    summary: "The real-time layer's state",
    description: "Channels with live subscribers, their replay-log sizes, " +
      "and fan-outs still to finish.",
    security: adminOnly,
    responses: {
      200: json(
        z.object({
          channels: z.array(z.object({
            name: z.string(),
            subscribers: z.number().int(),
            logSize: z.number().int(),
            lastSeq: z.number().int(),
          })),
          subscribers: z.number().int(),
          pendingFanouts: z.number().int(),
          checkedAt: z.string().openapi({ format: "date-time" }),
        }),
        "Live channels and pending fan-outs",
      ),
      ...errors(401, 403),
    },
  });
}
