import { Hono } from "hono";
import { AppError } from "../errors.ts";
import {
  authenticate,
  bearer,
  issueStreamToken,
  principalFromStreamToken,
  principalFromToken,
} from "../http/auth.ts";
import { corsHeadersFor } from "../http/cors.ts";
import type { HonoEnv, Principal } from "../http/env.ts";
import {
  claimedChannels,
  syncMemberships,
} from "../services/inbox/memberships.ts";
import { unreadCount } from "../services/inbox/unread_count.ts";
import { resumeIdFrom } from "../realtime/core/cursor.ts";

/** Stream tokens travel in URLs (EventSource cannot set headers): keep them short-lived. */
const STREAM_TOKEN_TTL_SECONDS = 120;

/**
 * The live stream — SSE, or a WebSocket on the same URL — and the
 * short-lived tokens browsers open it with. A stream carries the user's own
 * events and those of the roles and topics in their token — nothing else is
 * reachable.
 */
export const streamRoutes = new Hono<HonoEnv>()
  .post("/v1/stream/token", authenticate, async (c) => {
    const principal = c.get("principal");
    if (principal.kind !== "user") {
      throw new AppError(
        "forbidden",
        "Stream tokens are issued to users, not the admin key",
      );
    }
    const ctx = c.get("ctx");
    // The wall clock, never the dev clock: verifiers check `exp` against it.
    const issued = await issueStreamToken(
      principal,
      ctx.config.jwtSecret,
      Date.now(),
      STREAM_TOKEN_TTL_SECONDS,
    );
    return c.json({
      ...issued,
      url: `${ctx.config.publicUrl}/v1/stream?token=${issued.token}`,
    });
  })
  .get("/v1/stream", async (c) => {
    const ctx = c.get("ctx");
    const principal = await streamPrincipal(
      c.req.header("authorization"),
      c.req.query("token"),
      ctx.config,
    );
    if (principal.kind !== "user") {
      throw new AppError(
        "forbidden",
        "Streams belong to users; use a user token",
      );
    }
    const memberships = claimedChannels(principal.roles, principal.topics);
    const joinedAt = await syncMemberships({
      ctx,
      userId: principal.userId,
      channels: memberships,
    });
    // Counts are sent live only, never replayed: every (re)connect starts
    // from the current one instead.
    const unread = await unreadCount({
      ctx,
      owner: {
        userId: principal.userId,
        memberships,
      },
    });
    const upgrade = c.req.header("upgrade")?.toLowerCase() === "websocket";
    return await ctx.channels.openStream({
      userId: principal.userId,
      roles: principal.roles,
      topics: principal.topics,
      joinedAt,
      // Browsers' WebSockets cannot send headers: the query carries the id.
      lastEventId: resumeIdFrom(
        c.req.header("last-event-id") ?? c.req.query("lastEventId") ?? null,
      ),
      unread,
      now: ctx.now(),
      heartbeatMs: ctx.config.heartbeatMs,
      transport: upgrade
        ? { kind: "websocket", upgrade: c.req.raw }
        : { kind: "sse" },
      headers: {
        ...corsHeadersFor(c.req.header("origin"), ctx.config.corsOrigins),
        "X-Request-Id": c.get("requestId"),
      },
    });
  });

async function streamPrincipal(
  authorization: string | undefined,
  queryToken: string | undefined,
  config: { apiKey: string; jwtSecret: string },
): Promise<Principal> {
  const header = bearer(authorization);
  const principal = header
    ? await principalFromToken(header, config.apiKey, config.jwtSecret)
    : queryToken
    ? await principalFromStreamToken(queryToken, config.jwtSecret)
    : null;
  if (!principal) {
    throw new AppError(
      "unauthorized",
      header || queryToken
        ? "Invalid credentials"
        : "Missing bearer token or stream token",
    );
  }
  return principal;
}
