import type { DurableObjectNamespace } from "@cloudflare/workers-types";
import type {
  Addressed,
  ChannelRef,
  ChannelsPort,
  PublishResult,
  RealtimeStatus,
  StreamRequest,
} from "../../ports/channels.ts";
import { type ChannelLimits, resolveLimits } from "../core/limits.ts";
import { allShards, shardOf } from "./placement.ts";
import {
  audienceOf,
  type EventInput,
  publishInput,
  streamAudiences,
} from "../core/port_inputs.ts";
import type { ChannelShard } from "../object/shard_object.ts";
import {
  CONNECTION_HEADER,
  type ConnectionRequest,
  onlineReply,
  publishReply,
  shardStatus,
} from "../core/shard_protocol.ts";
import { bridgeToSse } from "./sse_bridge.ts";
import { channelFullResponse, sseResponse } from "../core/stream_response.ts";
import { summarize } from "../core/status_summary.ts";

export type ShardCall = "publish" | "open" | "online" | "status";

export interface DurableChannelsOptions extends Partial<ChannelLimits> {
  /** Shard objects; every user's connections live in one of them. */
  shards?: number;
  /**
   * The heartbeat streams are opened with: shards close direct WebSockets
   * that missed three (default 15 s).
   */
  heartbeatMs?: number;
  /**
   * Told of every request to a shard object: how long it took as this
   * Worker saw it (an upper bound on the object's billed wall time), and
   * whether it found the object freshly constructed (publishes only). The
   * cost model's counts.
   */
  onShardCall?: (call: ShardCall, seen: { ms: number; woke: boolean }) => void;
}

const DEFAULT_SHARDS = 16;

/** Any origin works for a stub; this one only names the hop in traces. */
const SHARD_ORIGIN = "https://shard.herald.internal";

/**
 * The channels on Workers: `shards` ChannelShard objects, named through the
 * one placement function (`placement.ts`). A connection talks to its user's
 * shard only: a browser's WebSocket is handed straight to it, an SSE stream
 * is bridged by this Worker over one WebSocket (`sse_bridge.ts`). A user's
 * event is one request to one shard; a broadcast one request per shard.
 */
export function createDurableChannels(
  namespace: DurableObjectNamespace<ChannelShard>,
  options: DurableChannelsOptions = {},
): ChannelsPort {
  const limits = resolveLimits(options);
  const shards = options.shards ?? DEFAULT_SHARDS;
  if (!Number.isSafeInteger(shards) || shards < 1) {
    throw new RangeError(`Shards must be an integer ≥ 1, got "${shards}"`);
  }
  const onCall = options.onShardCall ?? (() => {});
  /** Runs one request to a shard and reports it. */
  const call = async <T>(
    kind: ShardCall,
    run: () => Promise<T>,
    wokeOf: (value: T) => boolean = () => false,
  ): Promise<T> => {
    const started = Date.now();
    const value = await run();
    onCall(kind, { ms: Date.now() - started, woke: wokeOf(value) });
    return value;
  };
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const stub = (name: string) => namespace.get(namespace.idFromName(name));

  return {
    async publish(events: readonly Addressed[]): Promise<PublishResult[]> {
      // Group by shard, keeping each event's index: one request per shard.
      const byShard = new Map<string, { index: number; item: Item }[]>();
      events.forEach(({ to, event }, index) => {
        const item = { ...publishInput(event), audience: audienceOf(to) };
        const targets = to.kind === "user"
          ? [shardOf(to.name, shards)]
          : allShards(shards);
        for (const shard of targets) {
          const list = byShard.get(shard) ?? [];
          list.push({ index, item });
          byShard.set(shard, list);
        }
      });
      const results: (PublishResult | null)[] = events.map(() => null);
      await Promise.all(
        [...byShard].map(async ([shard, list]) => {
          const reply = await call(
            "publish",
            async () =>
              publishReply.parse(
                await stub(shard).publish({
                  items: list.map((entry) => entry.item),
                  logSize: limits.logSize,
                  heartbeatMs,
                }),
              ),
            (r) => r.woke,
          );
          list.forEach(({ index }, i) => {
            const got = reply.results[i];
            if (!got) throw new Error(`Shard "${shard}" answered short`);
            const seen = results[index];
            // Shards number events independently; the first speaks for all.
            results[index] = seen
              ? {
                seq: seen.seq,
                duplicate: seen.duplicate && got.duplicate,
                delivered: seen.delivered + got.delivered,
              }
              : got;
          });
        }),
      );
      return results.map((r) => r ?? { seq: 0, duplicate: true, delivered: 0 });
    },

    async openStream(req: StreamRequest): Promise<Response> {
      const { audiences, since } = streamAudiences(req);
      const shard = shardOf(req.userId, shards);
      const connection: ConnectionRequest = {
        audiences,
        since,
        cursor: req.lastEventId,
        transport: req.transport.kind,
        heartbeatMs: req.heartbeatMs,
        retryMs: limits.retryMs,
        maxConnections: limits.maxConnections,
        unread: req.unread,
        now: req.now,
      };
      const headers = new Headers(
        req.transport.kind === "websocket"
          ? req.transport.upgrade.headers
          : { upgrade: "websocket" },
      );
      headers.set(CONNECTION_HEADER, JSON.stringify(connection));
      const opened = Date.now();
      const res = await stub(shard).fetch(`${SHARD_ORIGIN}/connect`, {
        headers,
      });
      onCall("open", { ms: Date.now() - opened, woke: false });
      if (res.status === 429) {
        await res.body?.cancel();
        return channelFullResponse(audiences[0] ?? shard, req.headers);
      }
      const socket = res.webSocket;
      if (res.status !== 101 || !socket) {
        await res.body?.cancel();
        throw new Error(`Shard "${shard}" refused a connection: ${res.status}`);
      }
      // A browser's WebSocket: the shard's end becomes this response's, the
      // runtime joins the two, and this Worker is out of the path.
      if (req.transport.kind === "websocket") {
        return new Response(null, { status: 101, webSocket: socket });
      }
      return sseResponse(
        bridgeToSse(socket, {
          heartbeatMs: req.heartbeatMs,
          maxBufferedBytes: limits.maxBufferedBytes,
        }),
        req.headers,
      );
    },

    async online(refs: readonly ChannelRef[]): Promise<string[]> {
      // A user's connections live in their own shard; a role's or a
      // topic's members' in any.
      const byShard = new Map<string, string[]>();
      for (const ref of refs) {
        const targets = ref.kind === "user"
          ? [shardOf(ref.name, shards)]
          : allShards(shards);
        for (const shard of targets) {
          byShard.set(shard, [...byShard.get(shard) ?? [], audienceOf(ref)]);
        }
      }
      const lists = await Promise.all(
        [...byShard].map(([name, audiences]) =>
          call(
            "online",
            async () => onlineReply.parse(await stub(name).online(audiences)),
          )
        ),
      );
      // A user's connections all live in one shard: no user is listed twice.
      return lists.flat();
    },

    async status(): Promise<RealtimeStatus> {
      const views = await Promise.all(
        allShards(shards).map((name) =>
          call(
            "status",
            async () => shardStatus.parse(await stub(name).status(heartbeatMs)),
          )
        ),
      );
      return summarize(views);
    },
  };
}

type Item = EventInput & { audience: string };
