import type {
  Addressed,
  ChannelRef,
  ChannelsPort,
  PublishResult,
  RealtimeStatus,
  StreamRequest,
} from "../../ports/channels.ts";
import type { Clock } from "../core/clock.ts";
import { newEpoch } from "../core/cursor.ts";
import { InProcessConnections } from "./in_process_connections.ts";
import type { UpgradeWebSocket } from "./in_process_connections.ts";
import { type ChannelLimits, resolveLimits } from "../core/limits.ts";
import {
  audienceOf,
  publishInput,
  streamAudiences,
} from "../core/port_inputs.ts";
import { ShardCore } from "../core/shard_core.ts";
import { MemoryShardLog } from "../core/shard_log.ts";
import { summarize } from "../core/status_summary.ts";
import { channelFullResponse, sseResponse } from "../core/stream_response.ts";

export type { UpgradeWebSocket } from "./in_process_connections.ts";

export interface InProcessChannelsOptions extends Partial<ChannelLimits> {
  clock?: Clock;
  /** `Deno.upgradeWebSocket`; without it WebSocket streams are refused. */
  upgradeWebSocket?: UpgradeWebSocket;
}

export interface InProcessChannels extends ChannelsPort {
  /** Ends every open connection (so a server can shut down); the log stays. */
  close(): void;
}

/**
 * The channels on Deno: one shard, in this process — the same `ShardCore`
 * as the Durable Objects over a memory log, so the same bytes, ids and
 * limits on both transports. It serves one process only (no sharing
 * between instances), and a restart starts the log at a new epoch, so old
 * ids get a `reset`.
 */
export function createInProcessChannels(
  options: InProcessChannelsOptions = {},
): InProcessChannels {
  const limits = resolveLimits(options);
  const core = new ShardCore(new MemoryShardLog(newEpoch()));
  const connections = new InProcessConnections(core, {
    clock: options.clock,
    maxBufferedBytes: limits.maxBufferedBytes,
  });
  return {
    publish(events: readonly Addressed[]): Promise<PublishResult[]> {
      return Promise.resolve(events.map(({ to, event }) => {
        const input = { ...publishInput(event), audience: audienceOf(to) };
        const { seq, duplicate } = core.publish(input, limits.logSize);
        const delivered = duplicate ? 0 : connections.deliver(input, seq);
        return { seq, duplicate, delivered };
      }));
    },

    openStream(req: StreamRequest): Promise<Response> {
      const { audiences, since } = streamAudiences(req);
      if (connections.size >= limits.maxConnections) {
        return Promise.resolve(
          channelFullResponse(audiences[0] ?? "hub", req.headers),
        );
      }
      const open = {
        userId: req.userId,
        audiences,
        since,
        cursor: req.lastEventId,
        heartbeatMs: req.heartbeatMs,
        retryMs: limits.retryMs,
        unread: req.unread,
        now: req.now,
      };
      if (req.transport.kind === "websocket") {
        if (!options.upgradeWebSocket) {
          throw new Error("This hub was made without upgradeWebSocket");
        }
        return Promise.resolve(
          connections.openWebSocket(
            open,
            options.upgradeWebSocket(req.transport.upgrade),
          ),
        );
      }
      return Promise.resolve(
        sseResponse(connections.openSse(open), req.headers),
      );
    },

    online(refs: readonly ChannelRef[]): Promise<string[]> {
      return Promise.resolve(connections.online(refs.map(audienceOf)));
    },

    status(): Promise<RealtimeStatus> {
      return Promise.resolve(summarize([{
        name: "hub",
        ...connections.counts(),
        logSize: core.log.size(),
        lastSeq: core.log.lastSeq,
        wakes: 1,
      }]));
    },

    close(): void {
      connections.closeAll();
    },
  };
}
