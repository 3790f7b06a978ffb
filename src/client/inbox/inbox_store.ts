import {
  type FeedAction,
  feedReducer,
  type FeedState,
  INITIAL_FEED,
  optimisticRead,
} from "./feed_state.ts";
import { InboxApi, tokenSubject } from "./inbox_api.ts";
import type { InboxItem, InboxPage } from "./inbox_item.ts";
import { LiveFeed, type LiveFeedOptions } from "./live_feed.ts";
import { HeraldClient, pushSupported } from "../herald_client.ts";
import { TabHub, type TabHubOptions, type TabMessage } from "./tab_hub.ts";

/**
 * One user's inbox in the page, without a framework: the feed state, the
 * live feed (stream or polling) shared across tabs, paging, and optimistic
 * reads. `<herald-inbox>` and the React binding are views over it.
 */
export interface InboxStoreOptions {
  /** Herald's base URL; a path prefix is kept. */
  baseUrl: string;
  /** The user's JWT, asked for before every call (may refresh it). */
  getToken: () => Promise<string>;
  pageSize?: number;
  /** Stream and polling tuning (transport, poll backoff, seams for tests). */
  live?: Omit<
    LiveFeedOptions,
    "api" | "onCount" | "onNotification" | "onPage" | "onConnection" | "onReset"
  >;
  /** Share one stream between this user's tabs (default true). */
  shareTabs?: boolean;
  /** Seams for tests. */
  tabs?: Pick<TabHubOptions, "locks" | "openChannel">;
  fetch?: typeof fetch;
  now?: () => Date;
}

/** What the host hears: a new notification, a read, a changed count. */
export type InboxEvent =
  | { type: "notification"; item: InboxItem }
  | { type: "read"; ids: readonly string[] | "all" }
  | { type: "count"; unread: number };

export class InboxStore {
  readonly api: InboxApi;
  readonly #options: InboxStoreOptions;
  readonly #listeners = new Set<(state: FeedState) => void>();
  readonly #eventListeners = new Set<(event: InboxEvent) => void>();
  #state: FeedState = INITIAL_FEED;
  #hub: TabHub | null = null;
  #feed: LiveFeed | null = null;
  #started = false;
  #closed = false;

  constructor(options: InboxStoreOptions) {
    this.#options = options;
    this.api = new InboxApi({
      baseUrl: options.baseUrl,
      getToken: options.getToken,
      fetch: options.fetch,
    });
  }

  get state(): FeedState {
    return this.#state;
  }

  /** Called with every new state; returns the unsubscribe. */
  subscribe(listener: (state: FeedState) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  onEvent(listener: (event: InboxEvent) => void): () => void {
    this.#eventListeners.add(listener);
    return () => this.#eventListeners.delete(listener);
  }

  /** Connects (or joins the tab that is connected) and loads the first page. */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    let key: string;
    try {
      const user = tokenSubject(await this.#options.getToken());
      if (user === null) throw new Error("The token names no user (no sub)");
      key = `${
        new URL(this.#options.baseUrl, globalThis.location?.href).href
      } ${user}`;
    } catch (error) {
      this.#dispatch({ type: "failed", message: messageOf(error) });
      return;
    }
    if (this.#closed) return;
    const tabs = this.#options.shareTabs === false
      ? { locks: null, openChannel: null }
      : this.#options.tabs ?? {};
    this.#hub = new TabHub({
      key,
      ...tabs,
      lead: () => this.#lead(),
      onMessage: (message) => this.#heard(message),
    });
    await this.reload();
  }

  /** This tab holds the user's stream (the others hear it from this one). */
  get leading(): boolean {
    return this.#hub?.leading ?? false;
  }

  /** The leading tab drops its stream and reconnects; see LiveFeed. */
  reconnect(): void {
    this.#feed?.reconnect();
  }

  close(): void {
    this.#closed = true;
    this.#hub?.close();
    this.#hub = null;
    this.#dispatch({ type: "connection", connection: "closed" });
  }

  /** Loads the first page again (also the retry after an error). */
  reload(): Promise<void> {
    return this.#load(null);
  }

  /** The next page, if there is one and none is loading. */
  loadMore(): Promise<void> {
    const { nextCursor, loading } = this.#state;
    if (nextCursor === null || loading) return Promise.resolve();
    return this.#load(nextCursor);
  }

  markRead(id: string): Promise<void> {
    const item = this.#state.items.find((i) => i.id === id);
    if (!item || item.readAt !== null) return Promise.resolve();
    return this.#read([id], () => this.api.read(id));
  }

  markAllRead(): Promise<void> {
    return this.#read("all", () => this.api.readAll());
  }

  /**
   * Push on this device is possible: the browser has service workers and
   * the Push API, and Herald answers `GET /v1/push/vapid-key`.
   */
  async pushAvailable(): Promise<boolean> {
    if (!pushSupported()) return false;
    return await this.api.pushConfigured();
  }

  /**
   * Turns push on through a client of its own that opens no stream (its
   * token never comes), so any tab can do it, leader or not.
   */
  async enablePush(): Promise<void> {
    const userId = tokenSubject(await this.#options.getToken());
    if (userId === null) throw new Error("The token names no user (no sub)");
    const client = new HeraldClient({
      baseUrl: this.#options.baseUrl,
      getStreamToken: () => new Promise<string>(() => {}),
      push: { userId, getAuthToken: this.#options.getToken },
    });
    try {
      await client.enablePush();
    } finally {
      client.close();
    }
  }

  async #read(
    ids: string[] | "all",
    call: () => Promise<number>,
  ): Promise<void> {
    const at = (this.#options.now?.() ?? new Date()).toISOString();
    const { apply, undo } = optimisticRead(this.#state, ids, at);
    this.#dispatch(apply);
    this.#hub?.post({ t: "read", ids, at });
    this.#emit({ type: "read", ids });
    try {
      const unread = await call();
      this.#count(unread);
      this.#hub?.post({ t: "count", unread });
    } catch (error) {
      if (undo.type !== "unread") return;
      this.#dispatch(undo);
      this.#hub?.post({
        t: "unread",
        ids: [...undo.ids],
        unreadDelta: undo.unreadDelta,
      });
      throw error;
    }
  }

  async #load(cursor: string | null): Promise<void> {
    this.#dispatch({ type: "loading" });
    try {
      const page = await this.api.page(cursor, this.#options.pageSize);
      this.#dispatch({ type: "page", page, first: cursor === null });
    } catch (error) {
      this.#dispatch({ type: "failed", message: messageOf(error) });
    }
  }

  /** This tab leads: it holds the live feed and relays what it hears. */
  #lead(): () => void {
    const feed = new LiveFeed({
      ...this.#options.live,
      api: this.api,
      onCount: (unread) => {
        this.#count(unread);
        this.#hub?.post({ t: "count", unread });
      },
      onNotification: (item) => {
        this.#item(item);
        this.#hub?.post({ t: "item", item });
      },
      onPage: (page) => {
        this.#polled(page);
        this.#hub?.post({ t: "page", page });
      },
      onConnection: (connection) => {
        this.#dispatch({ type: "connection", connection });
        this.#hub?.post({ t: "connection", connection });
      },
      onReset: () => {
        void this.reload();
        this.#hub?.post({ t: "reset" });
      },
    });
    this.#feed = feed;
    return () => {
      feed.close();
      this.#feed = null;
    };
  }

  #heard(message: TabMessage): void {
    switch (message.t) {
      case "hello":
        if (!this.#hub?.leading) return;
        this.#hub.post({ t: "connection", connection: this.#state.connection });
        if (this.#state.unread !== null) {
          this.#hub.post({ t: "count", unread: this.#state.unread });
        }
        return;
      case "count":
        return this.#count(message.unread);
      case "item":
        return this.#item(message.item);
      case "page":
        return this.#polled(message.page);
      case "connection":
        return this.#dispatch({
          type: "connection",
          connection: message.connection,
        });
      case "reset":
        return void this.reload();
      case "read":
        this.#dispatch({ type: "read", ids: message.ids, at: message.at });
        return this.#emit({ type: "read", ids: message.ids });
      case "unread":
        return this.#dispatch({
          type: "unread",
          ids: message.ids,
          unreadDelta: message.unreadDelta,
        });
    }
  }

  #item(item: InboxItem): void {
    const known = this.#state.items.some((i) => i.id === item.id);
    this.#dispatch({ type: "notification", item });
    if (!known) this.#emit({ type: "notification", item });
  }

  /** A polled page: its items are upserted, the new ones announced. */
  #polled(page: InboxPage): void {
    for (const item of [...page.items].reverse()) this.#item(item);
  }

  #count(unread: number): void {
    this.#dispatch({ type: "count", unread });
  }

  #dispatch(action: FeedAction): void {
    const before = this.#state;
    this.#state = feedReducer(before, action);
    const { unread } = this.#state;
    if (unread !== before.unread && unread !== null) {
      this.#emit({ type: "count", unread });
    }
    for (const listener of this.#listeners) listener(this.#state);
  }

  #emit(event: InboxEvent): void {
    for (const listener of this.#eventListeners) listener(event);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
