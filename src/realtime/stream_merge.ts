import { joinCursor, singlePart } from "./cursor.ts";
import { concat, type Frame, FrameSplitter } from "./frame_splitter.ts";
import {
  connectedBody,
  encodeFrame,
  encodeText,
  retryBlock,
} from "./sse_encoding.ts";
import type { Clock } from "./clock.ts";
import type { Subscriber } from "./subscriber.ts";
import { SubscriberRegistry } from "./subscriber_registry.ts";

/** One channel's stream for this connection, as its channel wrote it. */
export interface Upstream {
  name: string;
  body: ReadableStream<Uint8Array>;
}

export interface MergeOptions {
  retryMs: number;
  heartbeatMs: number;
  maxBufferedBytes: number;
  clock?: Clock;
}

interface Source {
  reader: ReadableStreamDefaultReader<Uint8Array>;
  splitter: FrameSplitter;
  /** This channel's part of the composite cursor; null awaiting a reset. */
  part: string | null;
}

/**
 * One SSE stream out of several channel streams — only for connections on
 * more than one channel; a single channel's stream goes out untouched.
 *
 * Each channel writes its own one-part ids. Here each event's id line is
 * replaced by the connection's composite cursor (every channel's latest
 * part), while the event's body bytes are forwarded as they came. So the
 * channel still encodes an event once for all its readers, and the per-
 * connection cost is one short id line per event, paid in the Worker that
 * serves the connection rather than in the channel's fan-out loop.
 *
 * Start-up: every channel's `connected` is read first, so the merged stream
 * opens with one `connected` for all of them whose id already holds each
 * channel's starting position. After that, events pass in arrival order,
 * each channel's order preserved. The channels' heartbeats are dropped: the
 * merged stream beats (and detects a dead reader) on its own. When any
 * channel stream ends, the whole stream ends, and the client reconnects
 * with its last composite id — losing nothing.
 */
export async function mergeChannelStreams(
  upstreams: readonly Upstream[],
  options: MergeOptions,
): Promise<ReadableStream<Uint8Array>> {
  const sources: Source[] = upstreams.map((upstream) => ({
    reader: upstream.body.getReader(),
    splitter: new FrameSplitter(),
    part: null,
  }));
  const cancelAll = () => {
    for (const source of sources) source.reader.cancel().catch(() => {});
  };
  let early: Frame[][];
  try {
    early = await Promise.all(sources.map(readConnected));
  } catch (error) {
    cancelAll();
    throw error;
  }

  const registry = new SubscriberRegistry({
    clock: options.clock,
    // The reader left (cancel, stall, overflow): stop reading the channels,
    // which in turn lets each channel drop its subscriber.
    onChange: (size) => size === 0 && cancelAll(),
  });
  const out = registry.create(options.heartbeatMs, options.maxBufferedBytes);
  const cursor = () => joinCursor(sources.flatMap((s) => s.part ?? []));
  /** The frame with the connection's id, or null for a comment or retry. */
  const rewrite = (source: Source, frame: Frame): Uint8Array | null => {
    if (frame.kind !== "event") return null;
    source.part = singlePart(frame.id);
    return concat(frame.body, encodeText(`id: ${cursor()}\n\n`));
  };

  // retry, connected and whatever came with the channels' own `connected`
  // (their replays) go out as the opening chunk, which — as on a channel —
  // may exceed the reader's allowance without counting against it.
  const opening = [encodeText(
    retryBlock(options.retryMs) +
      encodeFrame(connectedBody(upstreams.map((u) => u.name)), cursor()),
  )];
  try {
    sources.forEach((source, i) => {
      for (const frame of early[i] ?? []) {
        const bytes = rewrite(source, frame);
        if (bytes) opening.push(bytes);
      }
    });
  } catch (error) {
    out.end();
    throw error;
  }
  out.open(concat(...opening));
  for (const source of sources) {
    pump(source, out, (frame) => {
      const bytes = rewrite(source, frame);
      if (bytes) out.write(bytes);
    }).finally(() => {
      // One channel ended (its object restarted, dropped us, or we were
      // cancelled): end the connection as a whole.
      out.end();
      cancelAll();
    });
  }
  return out.stream;
}

/**
 * Reads until the channel's `connected` event; sets the source's starting
 * part and returns the frames that came with it (replay, reset, live).
 */
async function readConnected(source: Source): Promise<Frame[]> {
  for (;;) {
    const { done, value } = await source.reader.read();
    if (done) throw new Error("Channel stream ended before `connected`");
    const frames = source.splitter.push(value);
    const first = frames.findIndex((frame) => frame.kind === "event");
    const connected = frames[first];
    if (connected?.kind === "event") {
      source.part = singlePart(connected.id);
      return frames.slice(first + 1);
    }
  }
}

/**
 * Forwards one channel's frames. It reads only once the reader has caught
 * up: a slow client then backs up into the channel's own subscriber queue,
 * whose allowance (and overflow → drop → resume) already covers it.
 */
async function pump(
  source: Source,
  out: Subscriber,
  onFrame: (frame: Frame) => void,
) {
  // Waiting on the reader must not hide a channel that ended meanwhile (it
  // dropped this connection): its end wakes the wait. One reaction on
  // `closed` for the stream's life — racing it per wait would pile them up.
  let ended = false;
  let wake = () => {};
  source.reader.closed.catch(() => {}).finally(() => {
    ended = true;
    wake();
  });
  try {
    for (;;) {
      if (out.queued > 0 && !ended) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          void out.whenDrained().then(resolve);
        });
      }
      if (out.gone) return;
      const { done, value } = await source.reader.read();
      if (done) return;
      for (const frame of source.splitter.push(value)) onFrame(frame);
    }
  } catch {
    // A channel stream that errors ends the connection like one that closes.
  }
}
