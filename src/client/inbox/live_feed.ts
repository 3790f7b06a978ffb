import { backoffCap, type BackoffOptions } from "../backoff.ts";
import {
  type ConnectionState,
  HeraldClient,
  type HeraldClientOptions,
} from "../herald_client.ts";
import type { Connection } from "./feed_state.ts";
import type { InboxApi } from "./inbox_api.ts";
import { type InboxItem, type InboxPage, parseItem } from "./inbox_item.ts";

/**
 * A client that never goes quiet: Herald's stream while one can be held,
 * and polling when none can — a proxy that buffers (the stream never says
 * `connected`), a network that blocks it or refuses upgrades (every attempt
 * fails). After `failuresBeforePolling` failed attempts in a row, or one
 * that is not open within `openTimeoutMs`, it polls the unread count and
 * the first page, each poll later than the last up to `poll.maxMs` (the
 * seeds' 30-second poll is the ceiling), and after each poll probes a
 * stream again, alternating SSE and WebSocket; the first probe that opens
 * ends polling and resumes from the last event id.
 */
/** What the feed needs of the API (a seam for tests). */
export type LiveApi = Pick<
  InboxApi,
  "baseUrl" | "streamToken" | "count" | "page"
>;

export interface LiveFeedOptions {
  api: LiveApi;
  onCount: (unread: number) => void;
  onNotification: (item: InboxItem) => void;
  /** A polled first page (the stream could not bring its items). */
  onPage: (page: InboxPage) => void;
  onConnection: (connection: Connection) => void;
  /** The stream could not replay what was missed: refetch the inbox. */
  onReset: () => void;
  transport?: "sse" | "websocket";
  failuresBeforePolling?: number;
  openTimeoutMs?: number;
  poll?: Partial<BackoffOptions>;
  /** The stream client's reconnect backoff. */
  backoff?: Partial<BackoffOptions>;
  /** Seams for tests, passed to HeraldClient. */
  openSource?: HeraldClientOptions["openSource"];
  openSocket?: HeraldClientOptions["openSocket"];
  random?: () => number;
}

const DEFAULT_POLL: BackoffOptions = {
  initialMs: 1_000,
  maxMs: 30_000,
  factor: 2,
};

/**
 * The wait before poll number `attempt`: half its cap plus a random half
 * ("equal jitter"), so polls spread out but never come back to back.
 */
export function pollDelay(
  attempt: number,
  options: BackoffOptions = DEFAULT_POLL,
  random: () => number = Math.random,
): number {
  const cap = backoffCap(attempt, options);
  return Math.floor(cap / 2 + (random() * cap) / 2);
}

export class LiveFeed {
  readonly #options: LiveFeedOptions;
  readonly #poll: BackoffOptions;
  #client: HeraldClient | null = null;
  #transport: "sse" | "websocket";
  #failures = 0;
  #polling = false;
  #pollAttempt = 0;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #openTimer: ReturnType<typeof setTimeout> | null = null;
  #lastEventId: string | null = null;
  /** Bumped per stream: a closed one's late state changes are ignored. */
  #generation = 0;
  #closed = false;
  #connection: Connection | null = null;
  #inFlight = false;

  constructor(options: LiveFeedOptions) {
    this.#options = options;
    this.#poll = { ...DEFAULT_POLL, ...options.poll };
    this.#transport = options.transport ?? "sse";
    this.#say("connecting");
    this.#stream();
  }

  /**
   * Drops the stream and reconnects as after a network error (for apps
   * that know the network changed); while polling, polls now.
   */
  reconnect(): void {
    if (this.#closed) return;
    if (!this.#polling) return this.#client?.reconnect();
    this.#clearTimer();
    void this.#pollOnce();
  }

  close(): void {
    this.#closed = true;
    this.#stopStream();
    this.#clearTimer();
    this.#say("closed");
  }

  /** Opens a stream (also a probe while polling), resuming from the last id. */
  #stream(): void {
    const o = this.#options;
    const generation = ++this.#generation;
    let attempts = 0;
    this.#client = new HeraldClient({
      baseUrl: o.api.baseUrl,
      // Each connect asks for a token: one asked for before this stream
      // opened means the attempt before it failed. (The client says
      // "reconnecting" once for a run of failures, so its state cannot
      // count them.)
      getStreamToken: () => {
        if (generation === this.#generation && attempts++ > 0) this.#failed();
        return o.api.streamToken();
      },
      transport: this.#transport,
      backoff: o.backoff,
      openSource: o.openSource,
      openSocket: o.openSocket,
      random: o.random,
      lastEventId: this.#lastEventId,
      onCount: o.onCount,
      onReset: o.onReset,
      onNotification: (payload) => {
        const item = parseItem(payload);
        if (item) o.onNotification(item);
      },
      onState: (state) => {
        if (state === "open") attempts = 0;
        if (generation === this.#generation) this.#onState(state);
      },
    });
    this.#armOpenTimer();
  }

  #onState(state: ConnectionState): void {
    if (this.#closed || state === "closed") return;
    if (state === "open") {
      this.#clearOpenTimer();
      this.#failures = 0;

      if (this.#polling) {
        this.#polling = false;
        this.#pollAttempt = 0;
        this.#clearTimer();
      }
      this.#say("open");
      return;
    }
    if (this.#polling) {
      // A probe failed: it does not retry by itself; the next poll probes.
      if (state === "reconnecting") this.#stopStream();
      return;
    }
    this.#say(state);
    if (state === "reconnecting") this.#armOpenTimer();
  }

  /**
   * One attempt failed. One not open in time (`timedOut`: a buffering
   * proxy, most likely) starts polling at once: waiting is no cure.
   */
  #failed(timedOut = false): void {
    if (this.#polling) {
      this.#stopStream();
      return;
    }
    const limit = this.#options.failuresBeforePolling ?? 2;
    this.#failures = timedOut ? limit : this.#failures + 1;
    if (this.#failures < limit) {
      this.#say("reconnecting");
      this.#armOpenTimer();
      return;
    }
    this.#stopStream();
    this.#polling = true;
    this.#say("polling");
    void this.#pollOnce();
  }

  async #pollOnce(): Promise<void> {
    if (this.#inFlight) return;
    this.#inFlight = true;
    try {
      await this.#pollAndProbe();
    } finally {
      this.#inFlight = false;
    }
  }

  async #pollAndProbe(): Promise<void> {
    const { api } = this.#options;
    try {
      const [unread, page] = await Promise.all([api.count(), api.page(null)]);
      if (!this.#polling || this.#closed) return;
      this.#options.onCount(unread);
      this.#options.onPage(page);
    } catch {
      // A failed poll is retried like any other, later.
    }
    if (!this.#polling || this.#closed) return;
    this.#transport = this.#transport === "sse" ? "websocket" : "sse";
    if (this.#client === null) this.#stream();
    const delay = pollDelay(
      this.#pollAttempt++,
      this.#poll,
      this.#options.random,
    );
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.#pollOnce();
    }, delay);
  }

  /** A poll is running or waiting for its timer: none once streaming. */
  get pollPending(): boolean {
    return this.#inFlight || this.#timer !== null;
  }

  #say(connection: Connection): void {
    if (connection === this.#connection) return;
    this.#connection = connection;
    this.#options.onConnection(connection);
  }

  #armOpenTimer(): void {
    this.#clearOpenTimer();
    const ms = this.#options.openTimeoutMs ?? 10_000;
    this.#openTimer = setTimeout(() => {
      this.#openTimer = null;
      if (this.#client?.state !== "open") this.#failed(true);
    }, ms);
  }

  #clearOpenTimer(): void {
    if (this.#openTimer !== null) clearTimeout(this.#openTimer);
    this.#openTimer = null;
  }

  #clearTimer(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #stopStream(): void {
    this.#clearOpenTimer();
    this.#generation++;
    const client = this.#client;
    this.#client = null;
    if (client) {
      this.#lastEventId = client.lastEventId;
      client.close();
    }
  }
}
