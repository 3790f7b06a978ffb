// @ts-types="@types/react"
import {
  createContext,
  createElement,
  type ReactNode,
  useContext,
  useEffect,
  useRef,
  useState,
  useSyncExternalStore,
} from "react";
import { type FeedState, INITIAL_FEED } from "../inbox/feed_state.ts";
import type { InboxItem } from "../inbox/inbox_item.ts";
import { InboxStore, type InboxStoreOptions } from "../inbox/inbox_store.ts";

/**
 * Herald's inbox for React (and Next.js): a provider that holds one
 * InboxStore — one connection, shared with the user's other tabs — and
 * two hooks over it. The store is made in an effect, so server rendering
 * never touches `window` (the hooks render the empty, connecting state)
 * and strict mode's mount–unmount–mount closes the first store before it
 * connects (its token is asked for first; a closed store stops there).
 */
export interface HeraldInboxProviderProps {
  /** Herald's base URL; a path prefix is kept. */
  url: string;
  /** The user's JWT, or… */
  token?: string;
  /** …an async function for apps that refresh it. */
  tokenProvider?: () => Promise<string>;
  /** Passed to the store: transport, polling, page size. */
  options?: Pick<InboxStoreOptions, "live" | "pageSize" | "shareTabs">;
  children?: ReactNode;
}

const StoreContext = createContext<InboxStore | null>(null);

export function HeraldInboxProvider(
  props: HeraldInboxProviderProps,
): ReactNode {
  const [store, setStore] = useState<InboxStore | null>(null);
  // The latest token and provider, read at each call: a new token (or a
  // new function) does not reconnect.
  const auth = useRef(props);
  auth.current = props;
  const transport = props.options?.live?.transport;
  useEffect(() => {
    const next = new InboxStore({
      ...auth.current.options,
      baseUrl: props.url,
      getToken: () => {
        const { tokenProvider, token } = auth.current;
        if (tokenProvider) return tokenProvider();
        return token
          ? Promise.resolve(token)
          : Promise.reject(new Error("HeraldInboxProvider has no token"));
      },
    });
    setStore(next);
    void next.start();
    return () => next.close();
  }, [props.url, transport]);
  return createElement(StoreContext.Provider, { value: store }, props.children);
}

const noSubscription = () => () => {};
const initial = () => INITIAL_FEED;

function useFeed(): { store: InboxStore | null; state: FeedState } {
  const store = useContext(StoreContext);
  const state = useSyncExternalStore(
    store ? (listener) => store.subscribe(listener) : noSubscription,
    store ? () => store.state : initial,
    initial,
  );
  return { store, state };
}

export interface HeraldInbox {
  items: readonly InboxItem[];
  /** 0 until the first count arrives. */
  unread: number;
  connection: FeedState["connection"];
  loading: boolean;
  error: string | null;
  hasMore: boolean;
  /** Optimistic; rolled back (and rejected) when Herald refuses. */
  markRead: (id: string) => Promise<void>;
  markAllRead: () => Promise<void>;
  loadMore: () => Promise<void>;
  reload: () => Promise<void>;
}

const idle = () => Promise.resolve();

/** The inbox of the nearest HeraldInboxProvider. */
export function useHeraldInbox(): HeraldInbox {
  const { store, state } = useFeed();
  return {
    items: state.items,
    unread: state.unread ?? 0,
    connection: state.connection,
    loading: state.loading,
    error: state.error,
    hasMore: state.nextCursor !== null,
    markRead: store ? (id) => store.markRead(id) : idle,
    markAllRead: store ? () => store.markAllRead() : idle,
    loadMore: store ? () => store.loadMore() : idle,
    reload: store ? () => store.reload() : idle,
  };
}

/** Only the unread count (0 until known), over the same connection. */
export function useUnreadCount(): number {
  return useFeed().state.unread ?? 0;
}
