import { eventually } from "@herald/testing";
import assert from "node:assert/strict";
import type {
  Browser,
  BrowserContext,
  CDPSession,
  Page,
} from "playwright-core";
import { z } from "zod";
import type { TestStack } from "./test_stack.ts";

/**
 * Web Push in headless Chromium, for the e2e tests: the permission over
 * CDP, the page's PushManager answered by the push stand-in (Chrome's own
 * push service, FCM, is out of reach offline), pushes delivered to a
 * worker over CDP, and a worker's own click handler run on what it shows
 * (headless cannot click an OS notification).
 */

const standInSubscription = z.object({
  endpoint: z.string(),
  expirationTime: z.number().nullable(),
  keys: z.object({ p256dh: z.string(), auth: z.string() }),
});
const received = z.object({
  messages: z.array(z.object({ payload: z.string() })),
});
/** Herald's push payload, as far as the tests read it. */
export const pushPayload = z.looseObject({
  id: z.string(),
  title: z.string(),
  body: z.string().optional(),
  url: z.string(),
  actionToken: z.string(),
});

/** PushManager answered by the stand-in; the rest of the browser as is. */
const STAND_IN_PUSH_MANAGER = `(() => {
  const KEY = "e2e.stand-in-subscription";
  const wrap = (json) => ({
    endpoint: json.endpoint,
    expirationTime: json.expirationTime,
    toJSON: () => json,
    unsubscribe: async () => { localStorage.removeItem(KEY); return true; },
  });
  PushManager.prototype.subscribe = async function (options) {
    const json = await window.standInSubscribe(options.applicationServerKey);
    localStorage.setItem(KEY, JSON.stringify(json));
    return wrap(json);
  };
  PushManager.prototype.getSubscription = async function () {
    const stored = localStorage.getItem(KEY);
    return stored ? wrap(JSON.parse(stored)) : null;
  };
})();`;

export interface PushPage {
  cdp: CDPSession;
  /** The applicationServerKey of every subscribe() the page made. */
  keysAsked: string[];
  /** The stand-in endpoint of every subscription it got. */
  endpoints: string[];
  /** Delivers `data` as a push to the worker registered for `scope`. */
  deliver(scope: string, data: unknown): Promise<void>;
}

/** Sets a page up for push on `origin`, before it loads anything. */
export async function preparePushPage(o: {
  browser: Browser;
  page: Page;
  stack: TestStack;
  origin: string;
}): Promise<PushPage> {
  const { page, stack } = o;
  const cdp = await page.context().newCDPSession(page);
  // The permission, as a user's "Allow" would give it.
  const { targetInfo } = await cdp.send("Target.getTargetInfo");
  const browserCdp = await o.browser.newBrowserCDPSession();
  await browserCdp.send("Browser.grantPermissions", {
    origin: o.origin,
    permissions: ["notifications"],
    browserContextId: targetInfo.browserContextId,
  });
  const keysAsked: string[] = [];
  const endpoints: string[] = [];
  await page.exposeFunction("standInSubscribe", async (key: string) => {
    keysAsked.push(key);
    const res = await fetch(`${stack.standIns.pushUrl}/subscribe`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ applicationServerKey: key }),
    });
    assert.equal(res.status, 201);
    const subscription = standInSubscription.parse(await res.json());
    endpoints.push(subscription.endpoint);
    return subscription;
  });
  await page.addInitScript(STAND_IN_PUSH_MANAGER);
  const registrations: { registrationId: string; scopeURL: string }[] = [];
  cdp.on("ServiceWorker.workerRegistrationUpdated", (event) => {
    registrations.push(...event.registrations);
  });
  await cdp.send("ServiceWorker.enable");
  return {
    cdp,
    keysAsked,
    endpoints,
    async deliver(scope, data) {
      const { registrationId } = await eventually(
        `a worker registered for ${scope}`,
        () =>
          Promise.resolve(
            registrations.find((r) => r.scopeURL === scope) ?? null,
          ),
      );
      await cdp.send("ServiceWorker.deliverPushMessage", {
        origin: new URL(scope).origin,
        registrationId,
        data: JSON.stringify(data),
      });
    },
  };
}

/** Creates a notification Herald pushes (`push: "always"`); its id. */
export async function sendPushed(
  stack: TestStack,
  body: Record<string, unknown>,
): Promise<string> {
  const res = await stack.admin("/v1/notifications", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ ...body, push: "always" }),
  });
  assert.equal(res.status, 201, await res.clone().text());
  const created = z.object({ notification: z.object({ id: z.string() }) });
  return created.parse(await res.json()).notification.id;
}

/** The first payload the stand-in accepted for `endpoint`, decrypted. */
export async function pushedPayload(
  stack: TestStack,
  endpoint: string,
): Promise<z.infer<typeof pushPayload>> {
  const sent = await eventually("Herald's push at the stand-in", async () => {
    const res = await fetch(
      `${stack.standIns.pushUrl}/messages?endpoint=${
        encodeURIComponent(endpoint)
      }`,
    );
    const [message] = received.parse(await res.json()).messages;
    return message ?? null;
  });
  return pushPayload.parse(JSON.parse(sent.payload));
}

export interface ShownNotification {
  title: string;
  tag: string;
  body: string;
}

/** What the worker registered for `scope` shows, once `ready` holds. */
export async function shownWhen(
  page: Page,
  scope: string,
  ready: (shown: ShownNotification[]) => boolean,
): Promise<ShownNotification[]> {
  return await eventually("the notifications on screen", async () => {
    const now = await page.evaluate(async (scope) => {
      const registration = await navigator.serviceWorker.getRegistration(
        scope,
      );
      const list = await registration?.getNotifications() ?? [];
      return list.map((n) => ({ title: n.title, tag: n.tag, body: n.body }));
    }, scope);
    return ready(now) ? now : null;
  });
}

/**
 * Runs the worker's own `notificationclick` listener on the notification
 * it shows: a dispatched `NotificationEvent` (no user activation, unlike a
 * real click). Answers the mark-read's HTTP status, what focusing or
 * opening a window gave, and how many notifications are left.
 */
export async function clickInWorker(
  context: BrowserContext,
  workerUrl: string,
): Promise<{ read: number | string; focus: string; left: number }> {
  const worker = await eventually(
    `the worker ${workerUrl}`,
    () =>
      Promise.resolve(
        context.serviceWorkers().find((w) => w.url() === workerUrl) ?? null,
      ),
  );
  return await worker.evaluate(async () => {
    const scope = self as unknown as {
      registration: { getNotifications(): Promise<Notification[]> };
    };
    const [notification] = await scope.registration.getNotifications();
    if (!notification) throw new Error("no notification to click");
    const Event = (globalThis as unknown as {
      NotificationEvent: new (
        type: string,
        init: { notification: Notification },
      ) => Event;
    }).NotificationEvent;
    const event = new Event("notificationclick", { notification });
    // A dispatched event may not waitUntil(); keep what it hands over.
    const handed = Promise.withResolvers<PromiseSettledResult<unknown>[]>();
    Object.defineProperty(event, "waitUntil", { value: handed.resolve });
    self.dispatchEvent(event);
    const [read, focus] = await handed.promise;
    return {
      read: read?.status === "fulfilled"
        ? (read.value as Response).status
        : String(read?.reason),
      focus: focus?.status === "fulfilled"
        ? "focused or opened"
        : String(focus?.reason),
      left: (await scope.registration.getNotifications()).length,
    };
  });
}
