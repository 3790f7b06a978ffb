import type { Connection } from "./feed_state.ts";

/**
 * Every word `<herald-inbox>` shows or announces, English by default; an
 * app sets `element.strings = {…}` (any subset) to translate them.
 */
export interface InboxStrings {
  /** The bell's accessible name. */
  bell: (unread: number) => string;
  title: string;
  markAllRead: string;
  /** Before an unread item's title, for screen readers. */
  unread: string;
  empty: string;
  loadFailed: string;
  retry: string;
  loadingMore: string;
  enablePush: string;
  /** Said by the live region when a notification arrives. */
  announce: (title: string) => string;
  /** The connection state, shown when it is not open. */
  connection: (state: Connection) => string;
  severity: (severity: string) => string;
}

export const ENGLISH: InboxStrings = {
  bell: (unread) => `Notifications, ${unread} unread`,
  title: "Notifications",
  markAllRead: "Mark all read",
  unread: "Unread:",
  empty: "You have no notifications",
  loadFailed: "The notifications could not be loaded.",
  retry: "Retry",
  loadingMore: "Loading…",
  enablePush: "Turn on notifications on this device",
  announce: (title) => `New notification: ${title}`,
  connection: (state) =>
    ({
      connecting: "Connecting…",
      open: "Live",
      reconnecting: "Reconnecting…",
      polling: "Live updates unavailable: checking every few seconds (polling)",
      closed: "Disconnected",
    })[state],
  severity: (severity) => severity,
};
