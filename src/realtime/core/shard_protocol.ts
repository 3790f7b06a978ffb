import { z } from "zod";
import { MAX_TAG_LENGTH } from "./connection_tags.ts";

/**
 * What the Worker and the shard objects say to each other, parsed with zod
 * on the receiving side (a Worker and an object of different versions meet
 * during a deploy). Publishing and status are RPC methods; opening a
 * connection is the one `fetch` an object answers — a WebSocket upgrade,
 * since RPC cannot hand over a socket — and its parameters travel in one
 * header. Limits travel with each call because the runtime, not our code,
 * constructs the objects: the Worker's configuration is the one source of
 * truth.
 */

/** The header carrying a connection's parameters on the upgrade request. */
export const CONNECTION_HEADER = "x-herald-connection";

const count = z.number().int().min(0);
const positive = z.number().int().min(1);
// An audience is stored as a socket tag with a transport prefix ("sse|").
const audience = z.string().min(1).max(MAX_TAG_LENGTH - 4);

export const connectionRequest = z.object({
  /** The user's own audience first, then their roles and topics. */
  audiences: z.array(audience).min(1).max(65),
  /** Since when each audience is held, same order (see ShardCore.open). */
  since: z.array(count).max(65),
  cursor: z.string().max(2048).nullable(),
  transport: z.enum(["sse", "websocket"]),
  heartbeatMs: positive,
  unread: count.nullable(),
  /** Herald's clock now; absent from an older Worker: nothing has expired. */
  now: count.default(0),
  retryMs: count,
  maxConnections: positive,
}).refine((r) => r.since.length === r.audiences.length, {
  message: "since must name a join time for each audience",
});
export type ConnectionRequest = z.infer<typeof connectionRequest>;

export const publishRequest = z.object({
  items: z.array(z.object({
    audience,
    event: z.string().min(1),
    dataJson: z.string(),
    key: z.string().min(1).nullable(),
    ephemeral: z.boolean(),
    /** Absent from a Worker older than this field: sent before any join. */
    sentAt: count.default(0),
    /** When a resume stops replaying it; absent or null: never. */
    expiresAt: count.nullable().default(null),
  })).min(1),
  logSize: positive,
  /** Direct WebSockets silent for 3 of these are closed as they are sent to. */
  heartbeatMs: positive,
});

export const publishReply = z.object({
  results: z.array(z.object({
    seq: count,
    duplicate: z.boolean(),
    delivered: count,
  })),
  /** This call found the object freshly constructed (woken or created). */
  woke: z.boolean(),
});
export type PublishReply = z.infer<typeof publishReply>;

export const onlineRequest = z.array(audience).min(1).max(64);
export const onlineReply = z.array(z.string());

export const shardStatus = z.object({
  name: z.string(),
  connections: count,
  sse: count,
  ws: count,
  /** Live connections per audience they hold. */
  audiences: z.record(z.string(), count),
  logSize: count,
  lastSeq: count,
  /** Times this object was constructed: its first start and every wake. */
  wakes: count,
});
export type ShardStatus = z.infer<typeof shardStatus>;
