/**
 * Real-time channels: where notifications and unread counts are published,
 * and where SSE subscribers read them. Durable Objects on Workers
 * (`src/realtime/`), an in-process hub on Deno.
 */
import type { ChannelRef } from "../domain/channel.ts";

export {
  type ChannelKind,
  channelName,
  type ChannelRef,
} from "../domain/channel.ts";

export interface PublishedEvent {
  /** SSE event name: "notification", "count", … */
  event: string;
  /** JSON-serialisable payload. */
  data: unknown;
  /**
   * Idempotency key: publishing the same key twice to a channel stores and
   * sends the event once (a retried fan-out must not double anything).
   */
  key?: string;
}

export interface PublishResult {
  /** The event's sequence number in its channel. */
  seq: number;
  /** True when the key was already published: nothing was sent again. */
  duplicate: boolean;
  /** Live subscribers the event was written to. */
  delivered: number;
}

export interface StreamRequest {
  channels: ChannelRef[];
  /** From `Last-Event-ID` or the `lastEventId` query; null on first connect. */
  lastEventId: string | null;
  heartbeatMs: number;
  /** Extra response headers (CORS). */
  headers?: Record<string, string>;
}

export interface ChannelStatus {
  name: string;
  subscribers: number;
  logSize: number;
  lastSeq: number;
}

export interface RealtimeStatus {
  channels: ChannelStatus[];
  subscribers: number;
}

export interface ChannelsPort {
  publish(ref: ChannelRef, event: PublishedEvent): Promise<PublishResult>;
  /**
   * The SSE response for one client: its channels merged, resumed after
   * `lastEventId`. A 429 response when a channel is at its subscriber cap.
   */
  openStream(req: StreamRequest): Promise<Response>;
  status(): Promise<RealtimeStatus>;
}
