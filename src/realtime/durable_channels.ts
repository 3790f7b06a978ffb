import type {
  DurableObjectNamespace,
  Response as WorkerResponse,
} from "@cloudflare/workers-types";
import {
  channelName,
  type ChannelRef,
  type ChannelsPort,
  type PublishedEvent,
  type PublishResult,
  type RealtimeStatus,
  type StreamRequest,
} from "../ports/channels.ts";
import {
  CHANNEL_ORIGIN,
  DIRECTORY_NAME,
  DIRECTORY_ORIGIN,
  directoryList,
  internalUrl,
  publishResult,
} from "./channel_protocol.ts";
import { type ChannelLimits, resolveLimits } from "./limits.ts";
import { publishInput, streamChannels } from "./port_inputs.ts";
import { mergeChannelStreams, type Upstream } from "./stream_merge.ts";
import { channelFullResponse, sseResponse } from "./stream_response.ts";

export interface DurableChannelsOptions extends Partial<ChannelLimits> {
  /**
   * How often a channel with subscribers re-reports to the directory;
   * `status()` ignores entries older than three of these.
   */
  directoryRefreshMs?: number;
}

/**
 * The channels on Workers: one `ChannelObject` per channel name (through
 * `channelName`, the one placement function), and the `RealtimeDirectory`
 * object that lists the live ones for `status()`.
 *
 * A stream on one channel is the object's own response body, passed
 * through untouched, so workerd pipes it natively with no JS per event.
 * A stream on several channels merges their bodies here, in the Worker
 * serving that connection (`stream_merge.ts`).
 */
export function createDurableChannels(
  channels: DurableObjectNamespace,
  directory: DurableObjectNamespace,
  options: DurableChannelsOptions = {},
): ChannelsPort {
  const limits = resolveLimits(options);
  const refreshMs = options.directoryRefreshMs ?? 30_000;
  const stub = (name: string) => channels.get(channels.idFromName(name));

  return {
    async publish(
      ref: ChannelRef,
      event: PublishedEvent,
    ): Promise<PublishResult> {
      const input = publishInput(event);
      const name = channelName(ref);
      const res = await stub(name).fetch(
        internalUrl(CHANNEL_ORIGIN, "/publish", {
          channel: name,
          event: input.event,
          key: input.key ?? undefined,
          logSize: limits.logSize,
        }),
        { method: "POST", body: input.dataJson },
      );
      return publishResult.parse(await answer(res, name));
    },

    async openStream(req: StreamRequest): Promise<Response> {
      const names = streamChannels(req);
      const settled = await Promise.allSettled(
        names.map((name) =>
          stub(name).fetch(internalUrl(CHANNEL_ORIGIN, "/subscribe", {
            channel: name,
            cursor: req.lastEventId ?? undefined,
            heartbeatMs: req.heartbeatMs,
            retryMs: limits.retryMs,
            maxSubscribers: limits.maxSubscribers,
            maxBufferedBytes: limits.maxBufferedBytes,
            refreshMs,
          }))
        ),
      );
      const opened: Upstream[] = [];
      const refused: { name: string; status: number }[] = [];
      const errors: unknown[] = [];
      for (const [i, outcome] of settled.entries()) {
        const name = names[i] ?? "";
        if (outcome.status === "rejected") errors.push(outcome.reason);
        else if (outcome.value.ok && outcome.value.body) {
          opened.push({ name, body: outcome.value.body });
        } else {
          refused.push({ name, status: outcome.value.status });
          await outcome.value.body?.cancel();
        }
      }
      if (errors.length > 0 || refused.length > 0) {
        // All or nothing: a half-open connection would miss a channel.
        await Promise.all(opened.map((u) => u.body.cancel().catch(() => {})));
        const [full] = refused.filter((r) => r.status === 429);
        if (full) return channelFullResponse(full.name, req.headers);
        if (errors.length > 0) throw errors[0];
        throw new Error(
          `Channel "${refused[0]?.name}" refused a subscriber with ${
            refused[0]?.status
          }`,
        );
      }
      const [only] = opened;
      if (opened.length === 1 && only) {
        return sseResponse(only.body, req.headers);
      }
      const merged = await mergeChannelStreams(opened, {
        retryMs: limits.retryMs,
        heartbeatMs: req.heartbeatMs,
        maxBufferedBytes: limits.maxBufferedBytes,
      });
      return sseResponse(merged, req.headers);
    },

    async status(): Promise<RealtimeStatus> {
      const res = await directory.get(directory.idFromName(DIRECTORY_NAME))
        .fetch(
          internalUrl(DIRECTORY_ORIGIN, "/list", { maxAgeMs: 3 * refreshMs }),
        );
      const { channels: live } = directoryList.parse(
        await answer(res, "directory"),
      );
      return {
        channels: live,
        subscribers: live.reduce((sum, c) => sum + c.subscribers, 0),
      };
    },
  };
}

async function answer(res: WorkerResponse, who: string): Promise<unknown> {
  if (!res.ok) {
    await res.body?.cancel();
    throw new Error(`Realtime object "${who}" answered ${res.status}`);
  }
  return await res.json();
}
