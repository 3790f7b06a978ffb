import type { Transport } from "../../ports/channels.ts";
import { cursorAt, joinCursor } from "./cursor.ts";
import { planResume } from "./resume_plan.ts";
import type { ShardLog } from "./shard_log.ts";
import { retryBlock, sseFrame } from "./sse_encoding.ts";
import { wsMessage } from "./ws_encoding.ts";

/** How a connection reads: SSE bytes (through the Worker) or WebSocket JSON. */

export interface PublishInput {
  audience: string;
  event: string;
  /** The payload, already JSON: encoded once by whoever serialised it. */
  dataJson: string;
  key: string | null;
  /** Sent live only, not logged (see PublishedEvent.ephemeral). */
  ephemeral: boolean;
  /** When it was sent, Herald's clock (ms): see `HeldAudience`. */
  sentAt: number;
  /** When a resume stops replaying it (Herald's clock, ms); absent: never. */
  expiresAt?: number | null;
}

export interface Published {
  seq: number;
  /** True when the key was already logged: nothing is sent again. */
  duplicate: boolean;
}

export interface OpenInput {
  /** The connection's audiences, its own user first: what it may read. */
  audiences: readonly string[];
  /**
   * Since when it holds each of `audiences`, in the same order (Herald's
   * clock, ms: 0 for its own user, the join time for a role or topic). A
   * resume replays an audience's events sent since then only.
   */
  since: readonly number[];
  /** Its Last-Event-ID, or null on a first connect. */
  cursor: string | null;
  transport: Transport;
  retryMs: number;
  heartbeatMs: number;
  /** The user's unread count now, for `connected` (null: unknown). */
  unread: number | null;
  /** Herald's clock now: what expired by then is not replayed. */
  now: number;
}

/**
 * One shard's rules, as plain TS over a `ShardLog`, shared by the Durable
 * Object and the in-process hub so both speak the same bytes: numbering and
 * de-duplicating events, and the opening messages of a connection
 * (`connected`, then its replay or a `reset`). Delivery — which sockets
 * hold an audience — belongs to the shells, which know their sockets.
 *
 * Every id is the shard's cursor at that event, the same for every
 * connection, so an event is encoded once per transport for all of them.
 */
export class ShardCore {
  readonly #log: ShardLog;

  constructor(log: ShardLog) {
    this.#log = log;
  }

  get log(): ShardLog {
    return this.#log;
  }

  publish(input: PublishInput, logSize: number): Published {
    // Not logged: its id is the position every connection has reached, so
    // a resume from it replays exactly what a resume from before it would.
    if (input.ephemeral) return { seq: this.#log.lastSeq, duplicate: false };
    if (input.key !== null) {
      const seq = this.#log.seqOfKey(input.audience, input.key);
      if (seq !== null) return { seq, duplicate: true };
    }
    // Stored before it is sent: a reader that sees the event can always
    // replay it, and a crash in between loses nothing anyone saw.
    const seq = this.#log.append({ ...input, data: input.dataJson }, logSize);
    return { seq, duplicate: false };
  }

  /** The event as `transport` writes it. */
  frame(transport: Transport, event: string, dataJson: string, seq: number) {
    const id = cursorAt(this.#log.epoch, seq);
    return transport === "sse"
      ? sseFrame(event, dataJson, id)
      : wsMessage(event, dataJson, id);
  }

  /**
   * What a new connection is sent before anything live, in order. The
   * caller must send these and register the connection in the same turn
   * (nothing awaits in between), so a live event can neither be missed at
   * the seam nor sent twice. For SSE it is one message (retry, connected
   * and the replay as one chunk); for WebSocket one message per event.
   */
  open(input: OpenInput): string[] {
    const log = this.#log;
    const audiences = [...input.audiences];
    if (input.since.length !== audiences.length) {
      throw new RangeError(
        `Expected a join time for each of ${audiences.length} audiences, got ${input.since.length}`,
      );
    }
    const held = audiences.map((audience, i) => ({
      audience,
      since: input.since[i] ?? 0,
    }));
    const plan = planResume(input.cursor, log.epoch, {
      lastSeq: log.lastSeq,
      trimmedThrough: log.trimmedThrough(audiences),
    });
    const connected = JSON.stringify({
      channels: audiences,
      heartbeatMs: input.heartbeatMs,
      ...(input.unread === null ? {} : { unread: input.unread }),
    });
    const frames: string[] = [];
    const add = (event: string, dataJson: string, id: string) =>
      frames.push(
        input.transport === "sse"
          ? sseFrame(event, dataJson, id)
          : wsMessage(event, dataJson, id),
      );
    if (plan.kind === "replay") {
      add("connected", connected, cursorAt(log.epoch, plan.afterSeq));
      for (const event of log.after(plan.afterSeq, held, input.now)) {
        add(event.event, event.data, cursorAt(log.epoch, event.seq));
      }
    } else if (plan.kind === "reset") {
      // `connected` carries no position, so a client that drops before it
      // sees the reset is reset again on reconnect.
      add("connected", connected, joinCursor([]));
      add(
        "reset",
        JSON.stringify({ channel: audiences[0] ?? null }),
        cursorAt(log.epoch, log.lastSeq),
      );
    } else {
      add("connected", connected, cursorAt(log.epoch, log.lastSeq));
    }
    return input.transport === "sse"
      ? [retryBlock(input.retryMs) + frames.join("")]
      : frames;
  }
}
