import { errorBody } from "../../http/errors.ts";

/**
 * Headers every Herald event stream carries. `no-transform` and an explicit
 * identity encoding keep compressing layers (Hono's compress, Deno.serve,
 * Cloudflare's edge) from buffering the stream to fill a gzip block;
 * `X-Accel-Buffering: no` does the same for nginx in front of Deno.
 */
const SSE_HEADERS: Record<string, string> = {
  "Content-Type": "text/event-stream; charset=utf-8",
  "Cache-Control": "no-cache, no-transform",
  "Content-Encoding": "identity",
  "X-Accel-Buffering": "no",
  "Connection": "keep-alive",
};

export function sseResponse(
  body: ReadableStream<Uint8Array>,
  extra: Record<string, string> = {},
): Response {
  return new Response(body, { headers: { ...extra, ...SSE_HEADERS } });
}

/** Seconds a client is asked to wait when a channel is full. */
const FULL_RETRY_AFTER_SECONDS = 5;

/**
 * The 429 for a channel at its subscriber cap, in the one error envelope.
 * The request id is the route's (an `x-request-id` among the extra
 * headers, as the app sets it), so the body and the header agree.
 */
export function channelFullResponse(
  channel: string,
  extra: Record<string, string> = {},
): Response {
  const requestId =
    Object.entries(extra).find(([name]) =>
      name.toLowerCase() === "x-request-id"
    )?.[1] ?? crypto.randomUUID();
  const message = `Channel "${channel}" has too many live subscribers`;
  return Response.json(errorBody("rate_limited", message, requestId), {
    status: 429,
    headers: {
      ...extra,
      "Retry-After": String(FULL_RETRY_AFTER_SECONDS),
      "Cache-Control": "no-store",
    },
  });
}
