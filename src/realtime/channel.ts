import type { ChannelStatus, PublishResult } from "../ports/channels.ts";
import { formatPart, joinCursor } from "./cursor.ts";
import type { ReplayLog } from "./replay_log.ts";
import { planResume } from "./resume_plan.ts";
import {
  connectedBody,
  encodeBody,
  encodeFrame,
  encodeText,
  resetBody,
  retryBlock,
} from "./sse_encoding.ts";
import {
  type RegistryOptions,
  SubscriberRegistry,
} from "./subscriber_registry.ts";

export interface PublishInput {
  event: string;
  /** The payload, already JSON: encoded once by whoever serialised it. */
  dataJson: string;
  key: string | null;
}

export interface SubscribeOptions {
  /** The connection's Last-Event-ID (whole composite cursor), or null. */
  cursor: string | null;
  heartbeatMs: number;
  retryMs: number;
  maxSubscribers: number;
  maxBufferedBytes: number;
}

export type SubscribeResult =
  | { ok: true; stream: ReadableStream<Uint8Array> }
  | { ok: false; reason: "full" };

/**
 * One channel: numbers events, logs them, fans them out, and starts new
 * subscribers at the right place. Plain TS over a `ReplayLog`, shared by the
 * Durable Object and the in-process hub so both speak the same bytes.
 *
 * Every id a channel writes is a one-part cursor (its own position). For a
 * connection on this channel alone that is the whole composite cursor, so
 * the bytes of a publish are encoded once and the very same buffer goes to
 * every subscriber; connections on several channels have the id swapped by
 * the merge in front of them (`stream_merge.ts`), never here.
 */
export class Channel {
  readonly name: string;
  readonly #log: ReplayLog;
  readonly #registry: SubscriberRegistry;

  constructor(name: string, log: ReplayLog, options: RegistryOptions = {}) {
    this.name = name;
    this.#log = log;
    this.#registry = new SubscriberRegistry(options);
  }

  get subscribers(): number {
    return this.#registry.size;
  }

  publish(input: PublishInput, logSize: number): PublishResult {
    if (input.key !== null) {
      const seq = this.#log.seqOfKey(input.key);
      if (seq !== null) return { seq, duplicate: true, delivered: 0 };
    }
    const seq = this.#log.bounds().lastSeq + 1;
    const body = encodeBody(input.event, input.dataJson);
    // Stored before it is sent: a reader that sees the event can always
    // replay it, and a crash in between loses nothing anyone saw.
    this.#log.append({ seq, key: input.key, body }, logSize);
    const bytes = encodeText(encodeFrame(body, this.#cursorAt(seq)));
    return {
      seq,
      duplicate: false,
      delivered: this.#registry.broadcast(bytes, seq),
    };
  }

  /**
   * Joins the live set, then writes retry, `connected`, and the replay or a
   * `reset`, as one chunk. The subscriber is registered before the log is
   * read and its `afterSeq` moves to the last seq replayed, so a live event
   * can neither be missed between the two nor sent twice at the seam. (Both
   * logs are synchronous, so nothing can even interleave; the rule keeps it
   * right should a log ever need to await.)
   */
  subscribe(options: SubscribeOptions): SubscribeResult {
    if (this.#registry.size >= options.maxSubscribers) {
      return { ok: false, reason: "full" };
    }
    const subscriber = this.#registry.create(
      options.heartbeatMs,
      options.maxBufferedBytes,
    );
    const bounds = this.#log.bounds();
    const { lastSeq } = bounds;
    const plan = planResume(options.cursor, this.#log.epoch, bounds);
    const connected = connectedBody([this.name]);
    let text = retryBlock(options.retryMs);
    if (plan.kind === "replay") {
      text += encodeFrame(connected, this.#cursorAt(plan.afterSeq));
      let seq = plan.afterSeq;
      for (const event of this.#log.after(plan.afterSeq)) {
        text += encodeFrame(event.body, this.#cursorAt(event.seq));
        seq = event.seq;
      }
      subscriber.afterSeq = seq;
    } else if (plan.kind === "reset") {
      // `connected` carries no position for this channel, so a client that
      // drops before it sees the reset is reset again on reconnect.
      text += encodeFrame(connected, joinCursor([]));
      text += encodeFrame(resetBody(this.name), this.#cursorAt(lastSeq));
      subscriber.afterSeq = lastSeq;
    } else {
      text += encodeFrame(connected, this.#cursorAt(lastSeq));
      subscriber.afterSeq = lastSeq;
    }
    subscriber.open(encodeText(text));
    return { ok: true, stream: subscriber.stream };
  }

  status(): ChannelStatus {
    return {
      name: this.name,
      subscribers: this.#registry.size,
      logSize: this.#log.size(),
      lastSeq: this.#log.bounds().lastSeq,
    };
  }

  /** Ends every stream; the log stays. */
  close(): void {
    this.#registry.closeAll();
  }

  #cursorAt(seq: number): string {
    return joinCursor([formatPart({ epoch: this.#log.epoch, seq })]);
  }
}
