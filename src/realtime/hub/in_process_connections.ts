import { type Cancel, type Clock, realClock } from "../core/clock.ts";
import type { EventInput } from "../core/port_inputs.ts";
import type { ShardCore } from "../core/shard_core.ts";
import { type Transport, TRANSPORTS } from "../../ports/channels.ts";
import { encodeText } from "../core/sse_encoding.ts";
import { SubscriberRegistry } from "../core/subscriber_registry.ts";
import { HEARTBEAT_MESSAGE, PING } from "../core/ws_encoding.ts";

/** `Deno.upgradeWebSocket`, injected (the hub itself is runtime-agnostic). */
export type UpgradeWebSocket = (
  request: Request,
) => { socket: WebSocket; response: Response };

export interface OpenParams {
  userId: string;
  /** Its own user's first, then its roles and topics. */
  audiences: readonly string[];
  /** Since when it holds each audience (see ShardCore.open). */
  since: readonly number[];
  cursor: string | null;
  heartbeatMs: number;
  retryMs: number;
  unread: number | null;
  /** Herald's clock now (see ShardCore.open). */
  now: number;
}

interface Connection {
  transport: Transport;
  userId: string;
  audiences: readonly string[];
  send(message: string | Uint8Array): void;
  close(): void;
}

/** What a WebSocket connection needs from the hub, shared by all of them. */
interface SocketHub {
  now(): number;
  /** Sends the opening messages and registers it, in one turn. */
  opened(connection: SocketConnection, open: OpenParams): void;
  gone(connection: SocketConnection, wasOpen: boolean): void;
}

/**
 * One WebSocket of the hub. A class, and its own event listener
 * (`handleEvent`), so an idle socket costs one small object rather than a
 * set of closures: idle memory per connection is a figure we measure.
 */
class SocketConnection implements Connection {
  readonly userId: string;
  readonly audiences: readonly string[];
  readonly heartbeatMs: number;
  readonly socket: WebSocket;
  lastSeen: number;
  #hub: SocketHub;
  /** Until `open`: what to open with. */
  #pending: OpenParams | null;
  #gone = false;

  constructor(socket: WebSocket, open: OpenParams, hub: SocketHub) {
    this.socket = socket;
    this.userId = open.userId;
    this.audiences = open.audiences;
    this.heartbeatMs = open.heartbeatMs;
    this.lastSeen = hub.now();
    this.#hub = hub;
    this.#pending = open;
    for (const type of ["open", "message", "close", "error"]) {
      socket.addEventListener(type, this);
    }
  }

  get transport(): Transport {
    return "websocket";
  }

  handleEvent(event: Event): void {
    if (event.type === "open" && this.#pending) {
      const open = this.#pending;
      this.#pending = null;
      this.#hub.opened(this, open);
    } else if (event instanceof MessageEvent) {
      if (event.data !== PING) return;
      this.lastSeen = this.#hub.now();
      this.send(HEARTBEAT_MESSAGE);
    } else if (event.type === "close" || event.type === "error") {
      if (this.#gone) return;
      this.#gone = true;
      this.#hub.gone(this, this.#pending === null);
    }
  }

  send(message: string | Uint8Array): void {
    // Only text is ever sent to a WebSocket (see deliver()).
    if (typeof message === "string" && this.socket.readyState === 1) {
      this.socket.send(message);
    }
  }

  close(): void {
    this.socket.close(1001, "Server shutting down");
  }
}

/** Direct WebSockets silent for this many heartbeats are closed. */
const MISSED_HEARTBEATS = 3;

/**
 * The in-process hub's live connections, indexed by `<transport>|<audience>`
 * as the shard objects' sockets are tagged, so an event costs one lookup per
 * transport, is encoded once per transport, and reaches each holder once.
 *
 * SSE readers are `Subscriber`s (bounded, heartbeats, dropped when they
 * stall or cancel). WebSockets answer the client's pings, as the runtime
 * does for a shard, and one timer per heartbeat interval closes sockets
 * whose pings stopped.
 */
export class InProcessConnections {
  readonly #core: ShardCore;
  readonly #clock: Clock;
  readonly #maxBufferedBytes: number;
  readonly #registry: SubscriberRegistry;
  readonly #all = new Set<Connection>();
  readonly #index = new Map<string, Set<Connection>>();
  readonly #watched = new Map<
    number,
    { members: Set<SocketConnection>; stop: Cancel }
  >();
  /** WebSockets upgraded but not open yet: they count against the cap. */
  #opening = 0;
  readonly #socketHub: SocketHub = {
    now: () => this.#clock.now(),
    opened: (connection, open) => {
      this.#opening--;
      for (
        const message of this.#core.open({ ...open, transport: "websocket" })
      ) {
        connection.socket.send(message);
      }
      this.#add(connection);
      this.#watch(connection);
    },
    gone: (connection, wasOpen) => {
      if (!wasOpen) this.#opening--;
      this.#unwatch(connection);
      this.#remove(connection);
    },
  };

  constructor(
    core: ShardCore,
    options: { clock?: Clock; maxBufferedBytes: number },
  ) {
    this.#core = core;
    this.#clock = options.clock ?? realClock;
    this.#maxBufferedBytes = options.maxBufferedBytes;
    this.#registry = new SubscriberRegistry({ clock: this.#clock });
  }

  get size(): number {
    return this.#all.size + this.#opening;
  }

  openSse(open: OpenParams): ReadableStream<Uint8Array> {
    const connection: Connection = {
      transport: "sse",
      userId: open.userId,
      audiences: open.audiences,
      send: (message) => {
        subscriber.write(
          typeof message === "string" ? encodeText(message) : message,
        );
      },
      close: () => subscriber.end(),
    };
    const subscriber = this.#registry.create(
      open.heartbeatMs,
      this.#maxBufferedBytes,
      () => this.#remove(connection),
    );
    // Opening messages and registration in one turn: see ShardCore.open.
    const [opening] = this.#core.open({ ...open, transport: "sse" });
    subscriber.open(encodeText(opening ?? ""));
    this.#add(connection);
    return subscriber.stream;
  }

  openWebSocket(
    open: OpenParams,
    upgraded: { socket: WebSocket; response: Response },
  ): Response {
    this.#opening++;
    new SocketConnection(upgraded.socket, open, this.#socketHub);
    return upgraded.response;
  }

  /** Sends a logged event to every holder of its audience; how many. */
  deliver(input: EventInput & { audience: string }, seq: number): number {
    let delivered = 0;
    for (const transport of TRANSPORTS) {
      const holders = this.#index.get(`${transport}|${input.audience}`);
      if (!holders?.size) continue;
      const text = this.#core.frame(
        transport,
        input.event,
        input.dataJson,
        seq,
      );
      const message = transport === "sse" ? encodeText(text) : text;
      for (const connection of holders) {
        connection.send(message);
        delivered++;
      }
    }
    return delivered;
  }

  /** The users holding any of `audiences`, each once. */
  online(audiences: readonly string[]): string[] {
    const users = new Set<string>();
    for (const audience of audiences) {
      for (const transport of TRANSPORTS) {
        for (const c of this.#index.get(`${transport}|${audience}`) ?? []) {
          users.add(c.userId);
        }
      }
    }
    return [...users];
  }

  counts() {
    const audiences: Record<string, number> = {};
    let sse = 0;
    for (const connection of this.#all) {
      if (connection.transport === "sse") sse++;
      for (const audience of connection.audiences) {
        audiences[audience] = (audiences[audience] ?? 0) + 1;
      }
    }
    return {
      connections: this.#all.size,
      sse,
      ws: this.#all.size - sse,
      audiences,
    };
  }

  closeAll(): void {
    for (const connection of [...this.#all]) connection.close();
  }

  #add(connection: Connection): void {
    this.#all.add(connection);
    for (const audience of connection.audiences) {
      const key = `${connection.transport}|${audience}`;
      let holders = this.#index.get(key);
      if (!holders) this.#index.set(key, holders = new Set());
      holders.add(connection);
    }
  }

  #remove(connection: Connection): void {
    if (!this.#all.delete(connection)) return;
    for (const audience of connection.audiences) {
      const key = `${connection.transport}|${audience}`;
      const holders = this.#index.get(key);
      holders?.delete(connection);
      if (holders?.size === 0) this.#index.delete(key);
    }
  }

  /** One timer per heartbeat interval, stopped with its last socket. */
  #watch(watched: SocketConnection): void {
    let beat = this.#watched.get(watched.heartbeatMs);
    if (!beat) {
      const members = new Set<SocketConnection>();
      const limit = MISSED_HEARTBEATS * watched.heartbeatMs;
      const stop = this.#clock.every(watched.heartbeatMs, () => {
        const now = this.#clock.now();
        for (const member of members) {
          if (now - member.lastSeen > limit) {
            member.socket.close(4000, "Heartbeat missed");
          }
        }
      });
      beat = { members, stop };
      this.#watched.set(watched.heartbeatMs, beat);
    }
    beat.members.add(watched);
  }

  #unwatch(watched: SocketConnection): void {
    const beat = this.#watched.get(watched.heartbeatMs);
    if (!beat?.members.delete(watched) || beat.members.size > 0) return;
    beat.stop();
    this.#watched.delete(watched.heartbeatMs);
  }
}
