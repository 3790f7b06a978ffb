import {
  backoffDelay,
  type BackoffOptions,
  DEFAULT_BACKOFF,
} from "./backoff.ts";
import {
  browserPushEnvironment,
  PushDevice,
  type PushOptions,
  type PushState,
} from "./push_device.ts";
import { RecentIds } from "./recent_ids.ts";
import {
  type EventSourceLike,
  socketSource,
  type WebSocketLike,
} from "./socket_source.ts";
import {
  parsePayload,
  type Payload,
  revisionKey,
  socketUrl,
  unreadCount,
} from "./stream_events.ts";
import { streamUrl } from "./herald_url.ts";

export type { BackoffOptions } from "./backoff.ts";
export type { EventSourceLike, WebSocketLike } from "./socket_source.ts";
export type { Payload } from "./stream_events.ts";
export type { PushOptions, PushState } from "./push_device.ts";

/** Whether this browser can take Web Push at all. */
export function pushSupported(): boolean {
  return browserPushEnvironment() !== null;
}

export type ConnectionState = "connecting" | "open" | "reconnecting" | "closed";

export interface HeraldClientOptions {
  /** Herald's origin (and path prefix, if any), e.g. "https://herald.example". */
  baseUrl: string;
  /** A fresh short-lived stream token from your app, for every connect. */
  getStreamToken: () => Promise<string>;
  /** Each notification once, even when replayed or sent via two channels. */
  onNotification?: (notification: Payload) => void;
  /** The unread count, pushed on every change. */
  onCount?: (unread: number) => void;
  onState?: (state: ConnectionState) => void;
  /**
   * The stream could not replay what was missed (too long away): refetch
   * the inbox. Also called on a first connect that carried a stale id.
   */
  onReset?: () => void;
  backoff?: Partial<BackoffOptions>;
  /** Notification ids remembered for dropping duplicates. */
  dedupeWindow?: number;
  /**
   * "sse" (default): an EventSource. "websocket": a WebSocket on the same
   * URL, with the same events, ids and resume; it pings to keep alive.
   */
  transport?: "sse" | "websocket";
  /** Opens the stream; `new EventSource(url)` unless given (tests). */
  openSource?: (url: string) => EventSourceLike;
  /** Opens the socket; `new WebSocket(url)` unless given (tests). */
  openSocket?: (url: string) => WebSocketLike;
  /** Math.random unless given (tests). */
  random?: () => number;
  /** Resume from here (a stream another client held); null: from now. */
  lastEventId?: string | null;
  /**
   * Web Push on this device (`enablePush()`). Given, every page load also
   * refreshes the device's "last seen" at Herald when it is subscribed.
   */
  push?: PushOptions;
}

/**
 * Herald's live stream in the browser: one EventSource (or WebSocket) to
 * `/v1/stream`, resumed after every drop from the last event id, so nothing
 * is missed and nothing is shown twice.
 *
 * Reconnecting is done here, not by EventSource: its own retry would reuse
 * the URL, and with it an expired token. On any error the connection is
 * closed and a new one opened with a new token and the last id, after an
 * exponential, fully jittered delay that resets once a connection is up.
 * A WebSocket is read through `socketSource`, which makes it look like an
 * EventSource, so everything below is the same for both transports.
 */
export class HeraldClient {
  readonly #options: HeraldClientOptions;
  readonly #backoff: BackoffOptions;
  readonly #recent: RecentIds;
  readonly #openSource: (url: string) => EventSourceLike;
  #source: EventSourceLike | null = null;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #attempt = 0;
  #state: ConnectionState = "connecting";
  #lastEventId: string | null = null;
  #unread: number | null = null;
  #push: PushDevice | null = null;

  constructor(options: HeraldClientOptions) {
    this.#options = options;
    this.#backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    this.#recent = new RecentIds(options.dedupeWindow);
    this.#lastEventId = options.lastEventId ?? null;
    if (options.transport === "websocket") {
      const openSocket = options.openSocket ??
        ((url: string) => new WebSocket(url));
      this.#openSource = (url) => socketSource(openSocket(socketUrl(url)));
    } else {
      this.#openSource = options.openSource ?? ((url) => new EventSource(url));
    }
    this.#options.onState?.(this.#state);
    void this.#connect();
    void this.#refreshPush();
  }

  get state(): ConnectionState {
    return this.#state;
  }

  /** The last unread count received, or null before the first. */
  get unread(): number | null {
    return this.#unread;
  }

  /** Where the next connection resumes from. */
  get lastEventId(): string | null {
    return this.#lastEventId;
  }

  /**
   * Drops the current connection and reconnects the way it would after a
   * network error: a new token, resumed from the last id, after a backoff
   * delay. For apps that know the network changed; the console's "Drop
   * connection" uses it to show a resume.
   */
  reconnect(): void {
    if (this.#state === "closed") return;
    this.#source?.close();
    this.#source = null;
    if (this.#timer === null) this.#retry();
  }

  /** Push on this device: unsupported, denied (by the user), off or on. */
  async pushState(): Promise<PushState> {
    return await this.#pushDevice()?.state() ?? "unsupported";
  }

  /**
   * Turns push on for this device (see `PushDevice.enable`): call it from a
   * user gesture. Needs the `push` option; throws when push cannot be had.
   */
  async enablePush(options: { label?: string } = {}): Promise<void> {
    const device = this.#pushDevice();
    if (device === null) throw new Error("Web Push is not supported here");
    await device.enable(options);
  }

  /** Turns push off for this device, at Herald and in the browser. */
  async disablePush(): Promise<void> {
    await this.#pushDevice()?.disable();
  }

  close(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#source?.close();
    this.#source = null;
    this.#setState("closed");
  }

  async #connect(): Promise<void> {
    let token: string;
    try {
      token = await this.#options.getStreamToken();
    } catch {
      this.#retry();
      return;
    }
    if (this.#state === "closed") return;
    const source = this.#openSource(
      streamUrl(this.#options.baseUrl, token, this.#lastEventId),
    );
    this.#source = source;
    const on = (type: string, handle: (payload: Payload) => void) =>
      source.addEventListener(type, (event) => {
        if (source !== this.#source) return; // a late event from a closed one
        if (event.lastEventId) this.#lastEventId = event.lastEventId;
        const payload = parsePayload(event.data);
        if (payload) handle(payload);
      });
    // Counts are not replayed: each connection starts with the current one.
    const count = (payload: Payload) => {
      const unread = unreadCount(payload);
      if (unread === null) return;
      this.#unread = unread;
      this.#options.onCount?.(unread);
    };
    on("connected", (payload) => {
      this.#attempt = 0;
      this.#setState("open");
      count(payload);
    });
    on("notification", (payload) => {
      // A digest's update has the same id: the app replaces its item.
      const key = revisionKey(payload);
      if (key !== null && this.#recent.seen(key)) return;
      this.#options.onNotification?.(payload);
    });
    on("count", count);
    on("reset", () => this.#options.onReset?.());
    // An error event with no data: a dropped connection, a 401 or a 429.
    source.addEventListener("error", () => {
      if (source !== this.#source) return;
      source.close();
      this.#source = null;
      this.#retry();
    });
  }

  #pushDevice(): PushDevice | null {
    const options = this.#options.push;
    if (!options) {
      throw new Error("Push needs the client's `push` option");
    }
    const env = browserPushEnvironment();
    if (env === null) return null;
    this.#push ??= new PushDevice(this.#options.baseUrl, options, env);
    return this.#push;
  }

  async #refreshPush(): Promise<void> {
    if (!this.#options.push) return;
    // A failed refresh changes nothing: the next load tries again.
    await this.#pushDevice()?.refresh().catch(() => {});
  }

  #retry(): void {
    if (this.#state === "closed") return;
    this.#setState("reconnecting");
    const delay = backoffDelay(
      this.#attempt++,
      this.#backoff,
      this.#options.random,
    );
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.#connect();
    }, delay);
  }

  #setState(state: ConnectionState): void {
    if (state === this.#state) return;
    this.#state = state;
    this.#options.onState?.(state);
  }
}
