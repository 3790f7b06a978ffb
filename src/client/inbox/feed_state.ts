import type { ConnectionState } from "../herald_client.ts";
import type { InboxItem, InboxPage } from "./inbox_item.ts";

/**
 * What an inbox view shows, as a pure reducer: the items newest first (one
 * per id: a notification event with a known id replaces the item, which is
 * how a digest updates itself), the unread count, the paging cursor, the
 * load and error states and the connection state. The element, the React
 * binding and the tab leader all drive it with the same actions.
 */

/** The client's states, plus "polling" when no stream can be held. */
export type Connection = ConnectionState | "polling";

export interface FeedState {
  items: readonly InboxItem[];
  /** The server's count (null until known), which pages do not bound. */
  unread: number | null;
  nextCursor: string | null;
  /** The first page has arrived. */
  loaded: boolean;
  loading: boolean;
  /** The last page load failed; the view offers a retry. */
  error: string | null;
  connection: Connection;
}

export const INITIAL_FEED: FeedState = {
  items: [],
  unread: null,
  nextCursor: null,
  loaded: false,
  loading: false,
  error: null,
  connection: "connecting",
};

export type FeedAction =
  | { type: "loading" }
  | { type: "failed"; message: string }
  /** A page: the first replaces what is listed, the next ones append. */
  | { type: "page"; page: InboxPage; first: boolean }
  | { type: "notification"; item: InboxItem }
  | { type: "count"; unread: number }
  | { type: "connection"; connection: Connection }
  /** Marked read (here, or in another tab): "all" or these ids. */
  | { type: "read"; ids: readonly string[] | "all"; at: string }
  /** Undoes a `read` the server refused. */
  | { type: "unread"; ids: readonly string[]; unreadDelta: number };

function newestFirst(a: InboxItem, b: InboxItem): number {
  const byTime = Date.parse(b.createdAt) - Date.parse(a.createdAt);
  if (byTime !== 0) return byTime;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/** `items` with each of `incoming` in place of the one with its id. */
export function upsertItems(
  items: readonly InboxItem[],
  incoming: readonly InboxItem[],
): InboxItem[] {
  const byId = new Map(items.map((item) => [item.id, item]));
  for (const item of incoming) byId.set(item.id, item);
  return [...byId.values()].sort(newestFirst);
}

function isUnread(item: InboxItem, ids: readonly string[] | "all"): boolean {
  return item.readAt === null && (ids === "all" || ids.includes(item.id));
}

export function feedReducer(state: FeedState, action: FeedAction): FeedState {
  switch (action.type) {
    case "loading":
      return { ...state, loading: true, error: null };
    case "failed":
      return { ...state, loading: false, error: action.message };
    case "page":
      return {
        ...state,
        items: upsertItems(action.first ? [] : state.items, action.page.items),
        nextCursor: action.page.nextCursor,
        loaded: true,
        loading: false,
        error: null,
      };
    case "notification":
      return { ...state, items: upsertItems(state.items, [action.item]) };
    case "count":
      return { ...state, unread: action.unread };
    case "connection":
      return { ...state, connection: action.connection };
    case "read": {
      const marked = state.items.filter((i) => isUnread(i, action.ids)).length;
      const items = state.items.map((item) =>
        isUnread(item, action.ids) ? { ...item, readAt: action.at } : item
      );
      const unread = state.unread === null
        ? null
        : action.ids === "all"
        ? 0
        : Math.max(0, state.unread - marked);
      return { ...state, items, unread };
    }
    case "unread": {
      const items = state.items.map((item) =>
        action.ids.includes(item.id) ? { ...item, readAt: null } : item
      );
      const unread = state.unread === null
        ? null
        : state.unread + action.unreadDelta;
      return { ...state, items, unread };
    }
  }
}

/**
 * An optimistic read: the action to apply now and the one that undoes it
 * if the server refuses. The undo names only what this read changed, so a
 * count that arrived meanwhile is adjusted, not overwritten.
 */
export function optimisticRead(
  state: FeedState,
  ids: readonly string[] | "all",
  at: string,
): { apply: FeedAction; undo: FeedAction } {
  const apply: FeedAction = { type: "read", ids, at };
  const changed = state.items.filter((i) => isUnread(i, ids)).map((i) => i.id);
  const after = feedReducer(state, apply);
  return {
    apply,
    undo: {
      type: "unread",
      ids: changed,
      unreadDelta: (state.unread ?? 0) - (after.unread ?? 0),
    },
  };
}
