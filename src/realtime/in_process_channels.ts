import {
  channelName,
  type ChannelRef,
  type ChannelsPort,
  type PublishedEvent,
  type PublishResult,
  type RealtimeStatus,
  type StreamRequest,
} from "../ports/channels.ts";
import { Channel } from "./channel.ts";
import { newEpoch } from "./cursor.ts";
import { type ChannelLimits, resolveLimits } from "./limits.ts";
import { publishInput, streamChannels } from "./port_inputs.ts";
import { MemoryReplayLog } from "./replay_log.ts";
import { mergeChannelStreams, type Upstream } from "./stream_merge.ts";
import { channelFullResponse, sseResponse } from "./stream_response.ts";
import type { Clock } from "./clock.ts";

export interface InProcessChannelsOptions extends Partial<ChannelLimits> {
  clock?: Clock;
}

export interface InProcessChannels extends ChannelsPort {
  /** Ends every open stream (so a server can shut down); logs are kept. */
  close(): void;
}

/**
 * The channels on Deno: the same `Channel` core as the Durable Objects, in
 * this process, with memory logs. Same bytes on the wire, same ids, same
 * limits; it serves one process only (no sharing between instances), and a
 * restart starts every log at a new epoch, so old cursors get a `reset`.
 */
export function createInProcessChannels(
  options: InProcessChannelsOptions = {},
): InProcessChannels {
  const limits = resolveLimits(options);
  const channels = new Map<string, Channel>();
  const channel = (name: string) => {
    let found = channels.get(name);
    if (!found) {
      found = new Channel(name, new MemoryReplayLog(newEpoch()), {
        clock: options.clock,
      });
      channels.set(name, found);
    }
    return found;
  };

  return {
    publish(ref: ChannelRef, event: PublishedEvent): Promise<PublishResult> {
      const input = publishInput(event);
      return Promise.resolve(
        channel(channelName(ref)).publish(input, limits.logSize),
      );
    },

    async openStream(req: StreamRequest): Promise<Response> {
      const names = streamChannels(req);
      const opened: Upstream[] = [];
      for (const name of names) {
        const result = channel(name).subscribe({
          cursor: req.lastEventId,
          heartbeatMs: req.heartbeatMs,
          retryMs: limits.retryMs,
          maxSubscribers: limits.maxSubscribers,
          maxBufferedBytes: limits.maxBufferedBytes,
        });
        if (!result.ok) {
          await Promise.all(opened.map((u) => u.body.cancel()));
          return channelFullResponse(name, req.headers);
        }
        opened.push({ name, body: result.stream });
      }
      const [only] = opened;
      if (opened.length === 1 && only) {
        return sseResponse(only.body, req.headers);
      }
      const merged = await mergeChannelStreams(
        opened,
        {
          retryMs: limits.retryMs,
          heartbeatMs: req.heartbeatMs,
          maxBufferedBytes: limits.maxBufferedBytes,
          clock: options.clock,
        },
      );
      return sseResponse(merged, req.headers);
    },

    status(): Promise<RealtimeStatus> {
      const live = [...channels.values()]
        .filter((c) => c.subscribers > 0)
        .map((c) => c.status());
      return Promise.resolve({
        channels: live,
        subscribers: live.reduce((sum, c) => sum + c.subscribers, 0),
      });
    },

    close(): void {
      for (const c of channels.values()) c.close();
    },
  };
}
