import type { Connection } from "./feed_state.ts";
import {
  type InboxItem,
  type InboxPage,
  parseItem,
  parsePage,
  parseUnread,
} from "./inbox_item.ts";

/**
 * One stream per user per browser. The tabs of one user (same Herald, same
 * `sub`) elect a leader with the Web Locks API: the tab holding the lock
 * holds the stream (or polls) and relays what it hears over a
 * BroadcastChannel; the others hold nothing open. When the leader's tab
 * closes, the browser releases its lock and the next tab in the lock's
 * queue leads — no heartbeats, no timeouts, no stale leader. A read in any
 * tab is relayed at once, before the server's count comes back through the
 * stream. Without Web Locks or BroadcastChannel each tab leads itself.
 */
export type TabMessage =
  /** A tab joined: the leader answers with what it knows. */
  | { t: "hello" }
  | { t: "count"; unread: number }
  | { t: "item"; item: InboxItem }
  /** The leader polled the first page. */
  | { t: "page"; page: InboxPage }
  | { t: "connection"; connection: Connection }
  /** The stream lost its place: refetch. */
  | { t: "reset" }
  | { t: "read"; ids: string[] | "all"; at: string }
  | { t: "unread"; ids: string[]; unreadDelta: number };

const CONNECTIONS: readonly Connection[] = [
  "connecting",
  "open",
  "reconnecting",
  "polling",
  "closed",
];

const strings = (v: unknown): v is string[] =>
  Array.isArray(v) && v.every((s) => typeof s === "string");

/** A message from another tab, checked like anything else from outside. */
export function parseTabMessage(value: unknown): TabMessage | null {
  if (typeof value !== "object" || value === null) return null;
  const m: Record<string, unknown> = Object.fromEntries(Object.entries(value));
  switch (m.t) {
    case "hello":
    case "reset":
      return { t: m.t };
    case "count": {
      const unread = parseUnread(m);
      return unread === null ? null : { t: "count", unread };
    }
    case "item": {
      const item = parseItem(m.item);
      return item && { t: "item", item };
    }
    case "page": {
      const page = parsePage(m.page);
      return page && { t: "page", page };
    }
    case "connection": {
      const c = CONNECTIONS.find((c) => c === m.connection);
      return c ? { t: "connection", connection: c } : null;
    }
    case "read":
      return (m.ids === "all" || strings(m.ids)) && typeof m.at === "string"
        ? { t: "read", ids: m.ids, at: m.at }
        : null;
    case "unread":
      return strings(m.ids) && typeof m.unreadDelta === "number"
        ? { t: "unread", ids: m.ids, unreadDelta: m.unreadDelta }
        : null;
    default:
      return null;
  }
}

/** The part of BroadcastChannel the hub uses (a seam for tests). */
export interface ChannelLike {
  postMessage(message: unknown): void;
  addEventListener(
    type: "message",
    listener: (event: { data: unknown }) => void,
  ): void;
  close(): void;
}

/** The part of LockManager the hub uses. */
export interface LocksLike {
  request(
    name: string,
    options: { signal: AbortSignal },
    callback: () => Promise<void>,
  ): Promise<unknown>;
}

export interface TabHubOptions {
  /** Tabs with the same key share one stream (Herald's URL and the user). */
  key: string;
  /** This tab leads: start the stream; returns how to stop it. */
  lead: () => () => void;
  onMessage: (message: TabMessage) => void;
  /** Defaults: `navigator.locks` and `new BroadcastChannel(name)`. */
  locks?: LocksLike | null;
  openChannel?: ((name: string) => ChannelLike) | null;
}

function browserLocks(): LocksLike | null {
  return typeof navigator !== "undefined" && navigator.locks
    ? navigator.locks
    : null;
}

function browserChannel(): ((name: string) => ChannelLike) | null {
  return typeof BroadcastChannel === "undefined"
    ? null
    : (name) => new BroadcastChannel(name);
}

export class TabHub {
  readonly #channel: ChannelLike | null;
  readonly #abort = new AbortController();
  #release: (() => void) | null = null;
  #stop: (() => void) | null = null;
  #closed = false;

  constructor(options: TabHubOptions) {
    const locks = options.locks === undefined ? browserLocks() : options.locks;
    const open = options.openChannel === undefined
      ? browserChannel()
      : options.openChannel;
    const name = `herald-inbox:${options.key}`;
    this.#channel = locks && open ? open(name) : null;
    if (!locks || !this.#channel) {
      this.#stop = options.lead();
      return;
    }
    this.#channel.addEventListener("message", ({ data }) => {
      const message = parseTabMessage(data);
      if (message && !this.#closed) options.onMessage(message);
    });
    locks.request(name, { signal: this.#abort.signal }, () => {
      if (this.#closed) return Promise.resolve();
      this.#stop = options.lead();
      return new Promise<void>((resolve) => this.#release = resolve);
    }).catch(() => {
      // Aborted while queued: this tab closed before it led.
    });
    this.#channel.postMessage({ t: "hello" });
  }

  /** This tab holds the stream. */
  get leading(): boolean {
    return this.#stop !== null;
  }

  /** Tells the other tabs (never this one). */
  post(message: TabMessage): void {
    if (!this.#closed) this.#channel?.postMessage(message);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#abort.abort();
    this.#stop?.();
    this.#stop = null;
    this.#release?.();
    this.#channel?.close();
  }
}
