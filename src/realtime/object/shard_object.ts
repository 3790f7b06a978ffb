import type {
  DurableObjectState,
  WebSocket as ShardSocket,
} from "@cloudflare/workers-types";
import { DurableObject } from "cloudflare:workers";
import { z } from "zod";
import {
  audienceOfTag,
  audienceTag,
  overflowTag,
  tagsFor,
  transportTag,
} from "../core/connection_tags.ts";
import { userOfAudience } from "../../domain/delivery/audience.ts";
import { ShardCore } from "../core/shard_core.ts";
import { type Transport, TRANSPORTS } from "../../ports/channels.ts";
import {
  CONNECTION_HEADER,
  connectionRequest,
  onlineRequest,
  type PublishReply,
  publishRequest,
  type ShardStatus,
} from "../core/shard_protocol.ts";
import { readMeta, SqliteShardLog, writeMeta } from "./sqlite_shard_log.ts";
import { encodeText } from "../core/sse_encoding.ts";
import { HEARTBEAT_MESSAGE, PING } from "../core/ws_encoding.ts";

/** What each socket keeps across hibernation (see `connection_tags.ts`). */
interface Kept {
  user: string;
  acceptedAt: number;
  /** Its audiences beyond what its tags hold, or null. */
  overflow: string[] | null;
}

/** Direct WebSockets silent for this many heartbeats are closed. */
const MISSED_HEARTBEATS = 3;

/**
 * One shard of the real-time layer: a hibernatable WebSocket server that
 * holds many users' connections — browsers' WebSockets, and the sockets
 * Workers open to bridge SSE streams — and the shard's replay log in
 * SQLite. A thin shell: the rules live in `ShardCore` (numbering, dedupe,
 * replay) and `connection_tags.ts` (who gets what).
 *
 * Nothing here keeps the object awake: no timers, no outgoing requests,
 * heartbeats answered by the runtime. Between events it is evicted; its
 * sockets stay open and the next call constructs it again, finding them by
 * tag. Every handler is synchronous, so no two can interleave and a new
 * connection reads its replay and joins the live set atomically — which is
 * also why there is no `blockConcurrencyWhile` start-up gate: there is
 * nothing to wait for.
 */
export class ChannelShard extends DurableObject<unknown> {
  /** Made by the first call after construction, whatever it is. */
  #core: ShardCore | null = null;
  #wakes = 0;
  #checkedAt = 0;

  constructor(ctx: DurableObjectState, env: unknown) {
    super(ctx, env);
    // The runtime answers pings itself, without waking the object, and
    // remembers when (getWebSocketAutoResponseTimestamp) for the sweep.
    ctx.setWebSocketAutoResponse(
      new WebSocketRequestResponsePair(PING, HEARTBEAT_MESSAGE),
    );
  }

  /** Accepts one connection (the only request an object takes by fetch). */
  override fetch(request: Request): Response {
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      return new Response("Expected a WebSocket upgrade", { status: 426 });
    }
    const parsed = connectionRequest.safeParse(
      parseJson(request.headers.get(CONNECTION_HEADER)),
    );
    if (!parsed.success) {
      return new Response("Bad connection request", { status: 400 });
    }
    const req = parsed.data;
    const core = this.#ready();
    if (this.ctx.getWebSockets().length >= req.maxConnections) {
      // Full: dead sockets are worth looking for before turning one away.
      this.#sweep(req.heartbeatMs);
      return Response.json({ full: true }, { status: 429 });
    }
    const messages = core.open(req);
    const [client, server] = Object.values(new WebSocketPair());
    if (!client || !server) throw new Error("WebSocketPair made no sockets");
    const { tags, overflow } = tagsFor(req.transport, req.audiences);
    this.ctx.acceptWebSocket(server, tags);
    const kept: Kept = {
      user: userOfAudience(req.audiences[0] ?? "") ?? "",
      acceptedAt: Date.now(),
      overflow,
    };
    server.serializeAttachment(kept);
    for (const message of messages) {
      server.send(req.transport === "sse" ? encodeText(message) : message);
    }
    return new Response(null, { status: 101, webSocket: client });
  }

  /** Logs each event and sends it to every connection holding its audience. */
  publish(input: unknown): PublishReply {
    const req = publishRequest.parse(input);
    const woke = this.#core === null;
    const core = this.#ready();
    const now = Date.now();
    // Dead sockets are looked for at most once a heartbeat interval while
    // awake: a check costs a little per socket, and an event every few
    // milliseconds must not pay it each time.
    const checking = now - this.#checkedAt >= req.heartbeatMs;
    if (checking) this.#checkedAt = now;
    const holding = this.#holders();
    const results = req.items.map((item) => {
      const { seq, duplicate } = core.publish(item, req.logSize);
      if (duplicate) return { seq, duplicate, delivered: 0 };
      let delivered = 0;
      for (const transport of TRANSPORTS) {
        const sockets = holding(transport, item.audience);
        if (sockets.length === 0) continue;
        const text = core.frame(transport, item.event, item.dataJson, seq);
        // SSE bytes are encoded once here and written as they come by
        // every Worker bridging a stream.
        const message = transport === "sse" ? encodeText(text) : text;
        for (const socket of sockets) {
          // A direct WebSocket is checked as it is written to: a peer that
          // vanished without a close stops pinging, and is closed here.
          const stale = checking && transport === "websocket" &&
            this.#stale(socket, req.heartbeatMs, now);
          if (stale) {
            closeDead(socket);
            continue;
          }
          try {
            socket.send(message);
            delivered++;
          } catch {
            // Closing already: its close event removes it.
          }
        }
      }
      return { seq, duplicate, delivered };
    });
    return { results, woke };
  }

  /**
   * The users whose connections hold any of `audiences`, each once. Read
   * from attachments (getTags() costs several times more per socket), and
   * asked apart from publish so a broadcast's sends never wait for it.
   */
  online(input: unknown): string[] {
    const audiences = onlineRequest.parse(input);
    this.#ready();
    const users = new Set<string>();
    const holding = this.#holders();
    for (const audience of audiences) {
      for (const transport of TRANSPORTS) {
        for (const socket of holding(transport, audience)) {
          const user = keptBy(socket)?.user;
          if (user) users.add(user);
        }
      }
    }
    return [...users];
  }

  status(heartbeatMs: unknown): ShardStatus {
    const core = this.#ready();
    const interval = z.number().int().min(1).safeParse(heartbeatMs);
    if (interval.success) this.#sweep(interval.data);
    const sockets = this.ctx.getWebSockets();
    const audiences: Record<string, number> = {};
    const count = (audience: string) =>
      audiences[audience] = (audiences[audience] ?? 0) + 1;
    let sse = 0;
    for (const socket of sockets) {
      const tags = this.ctx.getTags(socket);
      if (tags.includes("sse")) sse++;
      for (const tag of tags) {
        const audience = audienceOfTag(tag);
        if (audience !== null) count(audience);
      }
      keptBy(socket)?.overflow?.forEach(count);
    }
    return {
      name: this.ctx.id.name ?? this.ctx.id.toString(),
      connections: sockets.length,
      sse,
      ws: sockets.length - sse,
      audiences,
      logSize: core.log.size(),
      lastSeq: core.log.lastSeq,
      wakes: this.#wakes,
    };
  }

  override webSocketMessage(): void {
    // Clients only ping, which the runtime answers; anything else is
    // ignored rather than waking work.
  }

  override webSocketClose(
    socket: ShardSocket,
    code: number,
    reason: string,
  ): void {
    try {
      // Completes the closing handshake; 1005/1006 cannot be sent back.
      socket.close(code === 1005 || code === 1006 ? 1000 : code, reason);
    } catch {
      // Already closed.
    }
  }

  /** The log, opened once per object life; counts the wake in storage. */
  #ready(): ShardCore {
    if (this.#core) return this.#core;
    const sql = this.ctx.storage.sql;
    const core = new ShardCore(new SqliteShardLog(sql));
    this.#wakes = Number(readMeta(sql, "wakes") ?? "0") + 1;
    writeMeta(sql, "wakes", String(this.#wakes));
    this.#core = core;
    return core;
  }

  /**
   * A finder of the sockets of a transport that hold an audience, for one
   * call: the overflow sockets (audiences past the tag limit, rare) are
   * read once, not once per event — a broadcast's counts are hundreds of
   * events in one call.
   */
  #holders(): (transport: Transport, audience: string) => ShardSocket[] {
    const overflow = new Map<
      Transport,
      { socket: ShardSocket; has: string[] }[]
    >();
    return (transport, audience) => {
      const sockets = this.ctx.getWebSockets(audienceTag(transport, audience));
      let extra = overflow.get(transport);
      if (!extra) {
        extra = this.ctx.getWebSockets(overflowTag(transport)).map((
          socket,
        ) => ({ socket, has: keptBy(socket)?.overflow ?? [] }));
        overflow.set(transport, extra);
      }
      for (const { socket, has } of extra) {
        if (has.includes(audience)) sockets.push(socket);
      }
      return sockets;
    };
  }

  /**
   * Closes every direct WebSocket whose heartbeats stopped. Done only when
   * the object is awake anyway — a status read, a full shard — because a
   * timer would keep it from hibernating; sockets that are sent events are
   * checked as they are written to. SSE bridges need none of this: the
   * Worker holding one watches its reader and closes the socket when the
   * reader goes.
   */
  #sweep(heartbeatMs: number): void {
    const now = Date.now();
    for (const socket of this.ctx.getWebSockets(transportTag("websocket"))) {
      if (this.#stale(socket, heartbeatMs, now)) closeDead(socket);
    }
  }

  /** No ping answered for MISSED_HEARTBEATS intervals (or since accepted). */
  #stale(socket: ShardSocket, heartbeatMs: number, now: number): boolean {
    const pinged = this.ctx.getWebSocketAutoResponseTimestamp(socket);
    // The attachment is read only for sockets that never pinged yet.
    const last = pinged?.getTime() ?? keptBy(socket)?.acceptedAt ?? now;
    return now - last > MISSED_HEARTBEATS * heartbeatMs;
  }
}

function closeDead(socket: ShardSocket): void {
  try {
    socket.close(4000, "Heartbeat missed");
  } catch {
    // Already closing.
  }
}

/**
 * A socket's attachment, checked by hand rather than with zod: it is read
 * once per socket per broadcast, where a schema's cost multiplies.
 */
function keptBy(socket: ShardSocket): Kept | null {
  const raw: unknown = socket.deserializeAttachment();
  if (typeof raw !== "object" || raw === null) return null;
  if (!("user" in raw) || typeof raw.user !== "string") return null;
  if (!("acceptedAt" in raw) || typeof raw.acceptedAt !== "number") {
    return null;
  }
  const overflow = "overflow" in raw && Array.isArray(raw.overflow)
    ? raw.overflow.filter((a): a is string => typeof a === "string")
    : null;
  return { user: raw.user, acceptedAt: raw.acceptedAt, overflow };
}

function parseJson(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
