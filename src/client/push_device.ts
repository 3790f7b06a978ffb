import {
  type FetchLike,
  type PushManagerLike,
  type PushSubscriptionLike,
  rotatedMessage,
  subscribeWithHeraldKey,
  subscriptionBody,
} from "./push_subscription.ts";
import { parsePayload } from "./stream_events.ts";
import { heraldUrl } from "./herald_url.ts";

/**
 * Web Push on this device, from the page: the permission, Herald's service
 * worker, the browser's subscription and Herald's record of it
 * (`PUT/DELETE /v1/users/{userId}/push-subscriptions`). The browser parts
 * come in as a `PushEnvironment`, so tests drive it with fakes.
 */

export type PushState = "unsupported" | "denied" | "off" | "on";

export interface PushOptions {
  /** The user this device's pushes are for. */
  userId: string;
  /** The user's JWT for Herald's API (a stream token is not accepted). */
  getAuthToken: () => Promise<string>;
  /**
   * The service worker to register: same origin as the page, so Herald's
   * own (`<baseUrl>/client/herald-sw.js`, the default) only for pages on
   * Herald's origin; other apps serve one that importScripts() it (README).
   */
  serviceWorkerUrl?: string;
}

export interface RegistrationLike {
  readonly pushManager: PushManagerLike;
  readonly installing: WorkerLike | null;
  readonly waiting: WorkerLike | null;
  readonly active: WorkerLike | null;
}

export interface WorkerLike {
  readonly state: string;
  addEventListener(type: "statechange", listener: () => void): void;
}

export interface PushEnvironment {
  serviceWorker: {
    register(url: string): Promise<RegistrationLike>;
    getRegistration(url: string): Promise<RegistrationLike | undefined>;
    addEventListener(
      type: "message",
      listener: (event: { data: unknown }) => void,
    ): void;
  };
  notification: {
    readonly permission: NotificationPermission;
    requestPermission(): Promise<NotificationPermission>;
  };
  /** Where the device remembers what it last told Herald (localStorage). */
  storage: Pick<Storage, "getItem" | "setItem" | "removeItem">;
  fetch: FetchLike;
}

/** The browser's own parts, or null where Web Push is missing. */
export function browserPushEnvironment(): PushEnvironment | null {
  if (
    typeof navigator === "undefined" || !("serviceWorker" in navigator) ||
    typeof PushManager === "undefined" || typeof Notification === "undefined"
  ) {
    return null;
  }
  return {
    serviceWorker: navigator.serviceWorker,
    notification: Notification,
    storage: localStorage,
    fetch: (input, init) => fetch(input, init),
  };
}

/** What this device last sent Herald, to refresh it and spot rotations. */
interface Remembered {
  userId: string;
  endpoint: string;
  label: string | null;
}

const STORAGE_KEY = "herald.push";

export class PushDevice {
  readonly #baseUrl: string;
  readonly #options: PushOptions;
  readonly #env: PushEnvironment;
  readonly #workerUrl: string;

  constructor(
    baseUrl: string,
    options: PushOptions,
    env: PushEnvironment,
  ) {
    this.#baseUrl = baseUrl;
    this.#options = options;
    this.#env = env;
    this.#workerUrl = options.serviceWorkerUrl ??
      heraldUrl(baseUrl, "client/herald-sw.js").href;
    // The worker tells open pages when the browser rotated the
    // subscription; the page holds the credential, so it sends the PUT.
    env.serviceWorker.addEventListener("message", (event) => {
      const rotated = rotatedMessage(event.data);
      const remembered = this.#remembered();
      if (rotated === null || remembered === null) return;
      void this.#put(rotated.subscription, {
        label: remembered.label,
        oldEndpoint: rotated.oldEndpoint ?? remembered.endpoint,
      }).catch(() => {});
    });
  }

  async state(): Promise<PushState> {
    if (this.#env.notification.permission === "denied") return "denied";
    const subscription = await this.#subscription();
    return subscription !== null && this.#remembered() !== null ? "on" : "off";
  }

  /**
   * Asks for the permission (when not yet given), registers the worker,
   * subscribes with Herald's VAPID key and records the device at Herald.
   * Call it from a user gesture: browsers ignore a permission prompt
   * without one.
   */
  async enable(options: { label?: string } = {}): Promise<void> {
    const { notification } = this.#env;
    const permission = notification.permission === "default"
      ? await notification.requestPermission()
      : notification.permission;
    if (permission !== "granted") {
      throw new Error(`Notifications are not allowed (${permission})`);
    }
    const registration = await activated(
      await this.#env.serviceWorker.register(this.#workerUrl),
    );
    const subscription = await registration.pushManager.getSubscription() ??
      await subscribeWithHeraldKey(registration.pushManager, {
        baseUrl: this.#baseUrl,
        fetch: this.#env.fetch,
      });
    const label = options.label ?? this.#remembered()?.label ?? null;
    await this.#put(subscription.toJSON(), {
      label,
      oldEndpoint: this.#remembered()?.endpoint,
    });
  }

  /** Herald forgets the device, and the browser drops the subscription. */
  async disable(): Promise<void> {
    const subscription = await this.#subscription();
    const endpoint = subscription?.endpoint ?? this.#remembered()?.endpoint;
    try {
      if (endpoint) await this.#delete(endpoint);
    } finally {
      this.#env.storage.removeItem(STORAGE_KEY);
      await subscription?.unsubscribe();
    }
  }

  /**
   * On every page load: the same PUT again, so Herald's "last seen" keeps
   * a live device from its 60-day sweep, with `oldEndpoint` when the browser
   * rotated the subscription meanwhile. Only a device this user enabled.
   */
  async refresh(): Promise<void> {
    if (this.#env.notification.permission !== "granted") return;
    const remembered = this.#remembered();
    if (remembered === null) return;
    const subscription = await this.#subscription();
    if (subscription === null) return;
    await this.#put(subscription.toJSON(), {
      label: remembered.label,
      oldEndpoint: remembered.endpoint,
    });
  }

  async #subscription(): Promise<PushSubscriptionLike | null> {
    const registration = await this.#env.serviceWorker.getRegistration(
      this.#workerUrl,
    );
    return await registration?.pushManager.getSubscription() ?? null;
  }

  #remembered(): Remembered | null {
    const stored = parsePayload(this.#env.storage.getItem(STORAGE_KEY));
    if (
      stored === null || stored.userId !== this.#options.userId ||
      typeof stored.endpoint !== "string"
    ) {
      return null;
    }
    const label = typeof stored.label === "string" ? stored.label : null;
    return { userId: this.#options.userId, endpoint: stored.endpoint, label };
  }

  async #put(
    subscription: PushSubscriptionJSON,
    extra: { label: string | null; oldEndpoint?: string | null },
  ): Promise<void> {
    await this.#call(
      "PUT",
      "",
      JSON.stringify(subscriptionBody(subscription, extra)),
    );
    const remembered: Remembered = {
      userId: this.#options.userId,
      endpoint: subscription.endpoint ?? "",
      label: extra.label,
    };
    this.#env.storage.setItem(STORAGE_KEY, JSON.stringify(remembered));
  }

  #delete(endpoint: string): Promise<void> {
    return this.#call("DELETE", `?endpoint=${encodeURIComponent(endpoint)}`);
  }

  async #call(method: string, query: string, body?: string): Promise<void> {
    const url = heraldUrl(
      this.#baseUrl,
      `v1/users/${
        encodeURIComponent(this.#options.userId)
      }/push-subscriptions${query}`,
    );
    const headers = new Headers({
      authorization: `Bearer ${await this.#options.getAuthToken()}`,
    });
    if (body !== undefined) headers.set("content-type", "application/json");
    const res = await this.#env.fetch(url.href, { method, headers, body });
    if (res.ok) return;
    const error = parsePayload(await res.text())?.error;
    const message = typeof error === "object" && error !== null &&
        "message" in error && typeof error.message === "string"
      ? error.message
      : `HTTP ${res.status}`;
    throw new Error(`Herald refused the push subscription: ${message}`);
  }
}

/** The registration once its worker is active (subscribing needs one). */
async function activated(
  registration: RegistrationLike,
): Promise<RegistrationLike> {
  const worker = registration.installing ?? registration.waiting;
  if (registration.active !== null || worker === null) return registration;
  await new Promise<void>((resolve, reject) => {
    worker.addEventListener("statechange", () => {
      if (worker.state === "activated") resolve();
      if (worker.state === "redundant") {
        reject(new Error("Herald's service worker failed to install"));
      }
    });
  });
  return registration;
}
