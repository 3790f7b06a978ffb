import {
  markReadRequest,
  notificationOptions,
  parsePushMessage,
  shownData,
  windowFor,
} from "./push_message.ts";
import {
  type FetchLike,
  type PushManagerLike,
  type PushSubscriptionLike,
  ROTATED_MESSAGE,
  type RotatedMessage,
  subscribeWithHeraldKey,
} from "./push_subscription.ts";

/**
 * The service worker's three handlers, over the few parts of its global
 * scope they use (typed here: the project's lib is the DOM's, not the
 * worker's), so tests can drive them with fakes and `herald_sw.ts` only
 * wires them to `self`.
 */

interface Waitable {
  waitUntil(promise: Promise<unknown>): void;
}

export interface PushEventLike extends Waitable {
  readonly data: { text(): string } | null;
}

export interface NotificationLike {
  readonly data: unknown;
  close(): void;
}

export interface NotificationEventLike extends Waitable {
  readonly notification: NotificationLike;
}

export interface SubscriptionChangeEventLike extends Waitable {
  readonly oldSubscription?: PushSubscriptionLike | null;
  readonly newSubscription?: PushSubscriptionLike | null;
}

export interface WindowLike {
  readonly url: string;
  focus(): Promise<unknown>;
  postMessage(message: unknown): void;
}

interface Listeners {
  push: PushEventLike;
  notificationclick: NotificationEventLike;
  pushsubscriptionchange: SubscriptionChangeEventLike;
}

export interface WorkerScopeLike {
  readonly location: { readonly href: string };
  addEventListener<K extends keyof Listeners>(
    type: K,
    listener: (event: Listeners[K]) => void,
  ): void;
  readonly registration: {
    readonly pushManager: PushManagerLike;
    showNotification(
      title: string,
      options: NotificationOptions,
    ): Promise<void>;
  };
  readonly clients: {
    matchAll(options: {
      type: "window";
      includeUncontrolled: boolean;
    }): Promise<readonly WindowLike[]>;
    openWindow(url: string): Promise<unknown>;
  };
  readonly navigator: { setAppBadge?: (count: number) => Promise<void> };
  fetch: FetchLike;
}

/**
 * Herald's base URL for the worker: `?base=` on the worker's URL (an app
 * that serves the worker from its own origin, see README), else the folder
 * above `/client/herald-sw.js`, where Herald serves it.
 */
export function workerBaseUrl(scriptUrl: string): string {
  const url = new URL(scriptUrl);
  const base = url.searchParams.get("base");
  return base ? new URL(base, url).href : new URL("../", url).href;
}

export function installPushHandlers(scope: WorkerScopeLike): void {
  const baseUrl = workerBaseUrl(scope.location.href);
  const siteUrl = new URL("/", scope.location.href).href;
  const windows = () =>
    scope.clients.matchAll({ type: "window", includeUncontrolled: true });

  // Always shows a notification, whatever arrived.
  scope.addEventListener("push", (event) => {
    const message = parsePushMessage(event.data?.text() ?? null);
    const badge = message.unread !== null && scope.navigator.setAppBadge
      ? scope.navigator.setAppBadge(message.unread).catch(() => {})
      : null;
    event.waitUntil(Promise.all([
      scope.registration.showNotification(
        message.title,
        notificationOptions(message, siteUrl),
      ),
      badge,
    ]));
  });

  // Mark read and focus (or open) at once: neither waits for the other,
  // and a failed mark-read must not keep the user from their page.
  scope.addEventListener("notificationclick", (event) => {
    event.notification.close();
    const data = shownData(event.notification.data);
    if (data === null) return;
    const read = markReadRequest(data, baseUrl);
    event.waitUntil(Promise.allSettled([
      read ? scope.fetch(read.url, read.init) : null,
      windows().then((open) => {
        const existing = windowFor(open, data.url);
        return existing ? existing.focus() : scope.clients.openWindow(data.url);
      }),
    ]));
  });

  // The worker holds no user credential, so the PUT with `oldEndpoint`
  // is made by the page: told at once when one is open, and otherwise on
  // its next load (the client compares the endpoint it last sent).
  scope.addEventListener("pushsubscriptionchange", (event) => {
    event.waitUntil((async () => {
      const subscription = event.newSubscription ??
        await subscribeWithHeraldKey(scope.registration.pushManager, {
          baseUrl,
          fetch: scope.fetch,
        });
      const message: RotatedMessage = {
        type: ROTATED_MESSAGE,
        oldEndpoint: event.oldSubscription?.endpoint ?? null,
        subscription: subscription.toJSON(),
      };
      for (const open of await windows()) open.postMessage(message);
    })());
  });
}
