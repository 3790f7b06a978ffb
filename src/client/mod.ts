/**
 * The package's main entry (`@herald/client`): the stream client and the
 * framework-free inbox store the element and the React binding are built
 * on. Nothing here touches `window` at import.
 */
export {
  type ConnectionState,
  HeraldClient,
  type HeraldClientOptions,
} from "./herald_client.ts";
export type { BackoffOptions, Payload } from "./herald_client.ts";
export {
  type InboxEvent,
  InboxStore,
  type InboxStoreOptions,
} from "./inbox/inbox_store.ts";
export type { Connection, FeedState } from "./inbox/feed_state.ts";
export type { InboxItem, InboxPage } from "./inbox/inbox_item.ts";
export { InboxApiError } from "./inbox/inbox_api.ts";
export { relativeTime } from "./inbox/relative_time.ts";
