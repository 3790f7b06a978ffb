/**
 * Real-time channels: where notifications and unread counts are published,
 * and where clients read them, by SSE or WebSocket. Shards of hibernating
 * Durable Objects on Workers (`src/realtime/`), an in-process hub on Deno.
 */
import type { ChannelRef } from "../domain/delivery/audience.ts";

export {
  type ChannelKind,
  type ChannelRef,
  formatAudience,
} from "../domain/delivery/audience.ts";

export interface PublishedEvent {
  /** Event name: "notification", "count", … */
  event: string;
  /** JSON-serialisable payload. */
  data: unknown;
  /**
   * Idempotency key: publishing the same key twice to an audience stores
   * and sends the event once (a retried fan-out must not double anything).
   */
  key?: string;
  /**
   * State whose latest value is all that matters (an unread count): sent to
   * live connections only, never logged nor replayed — a connection gets
   * the current value in `connected` instead.
   */
  ephemeral?: boolean;
  /**
   * When it was sent, in Herald's clock (ms; a notification's `createdAt`).
   * A stream replays a role's or topic's event only to members who held it
   * by then — the inbox's rule. Absent: 0, before every join (replayed to a
   * user's own audience only; live delivery is not affected).
   */
  sentAt?: number;
  /**
   * After this instant (Herald's clock, ms) a resume no longer replays it
   * (a notification's `expiresAt`). Absent: never expires.
   */
  expiresAt?: number;
}

/** One event for one audience (a user, or every holder of a role or topic). */
export interface Addressed {
  to: ChannelRef;
  event: PublishedEvent;
}

export interface PublishResult {
  /** The event's sequence number in its (first) shard. */
  seq: number;
  /** True when the key was already published: nothing was sent again. */
  duplicate: boolean;
  /** Live connections the event was written to. */
  delivered: number;
}

export const TRANSPORTS = ["sse", "websocket"] as const;
export type Transport = (typeof TRANSPORTS)[number];

export interface StreamRequest {
  /** Whose stream: their own events, and their roles' and topics'. */
  userId: string;
  roles: readonly string[];
  topics: readonly string[];
  /**
   * When the user joined each role and topic the stream holds, by channel
   * name ("role:ops" → ms, Herald's clock: `memberships.joinedAt`). A
   * resume replays a channel's events sent since its join only, and none
   * of a channel missing here.
   */
  joinedAt: Readonly<Record<string, number>>;
  /** From `Last-Event-ID` or the `lastEventId` query; null on first connect. */
  lastEventId: string | null;
  /** Their unread count now, sent in `connected` (null: unknown). */
  unread: number | null;
  /** Herald's clock now: events expired by then are not replayed. */
  now: number;
  heartbeatMs: number;
  /**
   * SSE, or the client's WebSocket upgrade request (the port answers it
   * with the 101 that hands the socket over).
   */
  transport: { kind: "sse" } | { kind: "websocket"; upgrade: Request };
  /** Extra response headers (CORS, request id). */
  headers?: Record<string, string>;
}

/** One object (Durable Object shard, or the in-process hub) and its load. */
export interface ShardView {
  name: string;
  connections: number;
  sse: number;
  websocket: number;
  logSize: number;
  lastSeq: number;
  /** Times it was constructed: first start, and every wake from hibernation. */
  wakes: number;
}

export interface RealtimeStatus {
  shards: ShardView[];
  /** Audiences with live connections ("user:ada", "role:ops"), and how many. */
  channels: { name: string; subscribers: number }[];
  /** Live connections, all transports. */
  subscribers: number;
}

export interface ChannelsPort {
  /**
   * Publishes each event to its audience; results in the same order. Events
   * for the same shard travel in one request.
   */
  publish(events: readonly Addressed[]): Promise<PublishResult[]>;
  /**
   * The response for one client: an SSE stream, or the WebSocket upgrade,
   * resumed after `lastEventId`. A 429 when its shard is full.
   */
  openStream(req: StreamRequest): Promise<Response>;
  /**
   * The users with a live connection holding any of `audiences` (roles,
   * topics), each once: where a broadcast's new unread counts go. One
   * request per shard, asked after the broadcast, off its delivery path.
   * A user's own audience asks their shard only (is that user online?).
   */
  online(audiences: readonly ChannelRef[]): Promise<string[]>;
  status(): Promise<RealtimeStatus>;
}
