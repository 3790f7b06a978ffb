import { eventually } from "@herald/testing";
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { z } from "zod";
import { launchChromium, noChromium } from "../support/chromium.ts";
import { startTestStack, type TestStack } from "../support/test_stack.ts";

/**
 * Web Push in Debian's headless Chromium, against the real Worker and the
 * push stand-in. What is real: the console's button and the browser
 * client's enablePush()/disablePush(), the notifications permission
 * (granted over CDP, `Browser.grantPermissions`), Herald's service worker
 * registered from `/client/herald-sw.js`, the push event (delivered over
 * CDP, `ServiceWorker.deliverPushMessage`), the notification it shows (read
 * back with `registration.getNotifications()`), and the worker's real
 * `notificationclick` handler marking the item read at Herald with the
 * action token.
 *
 * What is not: headless Chromium has no push service to subscribe with
 * (Chrome's is FCM, and this machine is offline), so the page's
 * `PushManager.subscribe()` is answered by the stand-in's `/subscribe`, as
 * a browser's would be, and the payload Herald pushed to the stand-in
 * reaches the worker over CDP rather than from a push service's
 * connection; and it cannot click an OS notification, so the
 * click is a `NotificationEvent` dispatched in the worker, without the user
 * activation a real click grants (focusing a window needs one).
 */

const created = z.object({ notification: z.object({ id: z.string() }) });
const standInSubscription = z.object({
  endpoint: z.string(),
  expirationTime: z.number().nullable(),
  keys: z.object({ p256dh: z.string(), auth: z.string() }),
});
const received = z.object({
  messages: z.array(z.object({ payload: z.string() })),
});
/** Herald's push payload, as far as this test reads it. */
const pushPayload = z.looseObject({
  id: z.string(),
  title: z.string(),
  body: z.string().optional(),
  url: z.string(),
  actionToken: z.string(),
});
const count = z.object({ unread: z.number() });
const listed = z.object({
  items: z.array(z.object({
    endpointOrigin: z.string(),
    label: z.string(),
    lastSeenAt: z.string(),
  })),
});

/** PushManager answered by the stand-in (see above); the rest untouched. */
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

async function asUser(stack: TestStack, user: string, path: string) {
  const res = await fetch(`${stack.url}${path}`, {
    headers: { authorization: `Bearer ${await stack.userToken(user)}` },
  });
  assert.equal(res.status, 200, await res.clone().text());
  return await res.json();
}

/** What the page's registration of Herald's worker is showing. */
function shown(page: Page) {
  return page.evaluate(async () => {
    const registration = await navigator.serviceWorker.getRegistration(
      "/client/",
    );
    const list = await registration?.getNotifications() ?? [];
    return list.map((n) => ({ title: n.title, tag: n.tag, body: n.body }));
  });
}

Deno.test({
  name:
    "push in Chromium: the console enables it, Herald's worker shows what is pushed and a click marks it read",
  ignore: noChromium,
  // Chromium's own pipes and timers outlive a test's bookkeeping.
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const stack = await startTestStack();
    const browser = await launchChromium().catch(async (error) => {
      await stack.close();
      throw error;
    });
    try {
      const context = await browser.newContext();
      const page = await context.newPage();
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      const cdp = await context.newCDPSession(page);

      // The permission, as a user's "Allow" would give it.
      const { targetInfo } = await cdp.send("Target.getTargetInfo");
      const browserCdp = await browser.newBrowserCDPSession();
      await browserCdp.send("Browser.grantPermissions", {
        origin: stack.url,
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

      // The console's button: permission, worker, VAPID key, PUT.
      const user = "e2e-push-ada";
      const connect = async () => {
        await page.goto(`${stack.url}/console`);
        await page.fill("#token", await stack.userToken(user));
        await page.click("#connect");
        await page.locator("#state[data-state=open]").waitFor();
      };
      const devicesNow = async () =>
        listed.parse(
          await asUser(stack, user, `/v1/users/${user}/push-subscriptions`),
        ).items;
      await connect();
      await page.locator("#pushState", { hasText: "off" }).waitFor();
      await page.fill("#pushLabel", "E2E laptop");
      await page.click("#enablePush");
      await page.locator("#pushState", { hasText: "on" }).waitFor();
      assert.deepEqual(keysAsked, [stack.vapidPublicKey]);
      const devices = await devicesNow();
      assert.deepEqual(
        devices.map((d) => [d.endpointOrigin, d.label]),
        [[new URL(stack.standIns.pushUrl).origin, "E2E laptop"]],
      );

      // The next page load says "still here" by itself, label kept.
      const firstSeen = devices[0]?.lastSeenAt;
      await connect();
      await page.locator("#pushState", { hasText: "on" }).waitFor();
      const refreshed = await eventually("a later last seen", async () => {
        const [device] = await devicesNow();
        return device && device.lastSeenAt !== firstSeen ? device : null;
      });
      assert.ok(refreshed.lastSeenAt > (firstSeen ?? ""));
      assert.deepEqual(refreshed.label, "E2E laptop");
      assert.deepEqual(endpoints.length, 1, "no second subscription");
      const scope = `${stack.url}/client/`;
      const { registrationId } = await eventually(
        "Herald's worker registered",
        () =>
          Promise.resolve(
            registrations.find((r) => r.scopeURL === scope) ?? null,
          ),
      );

      // Herald pushes a notification to the device (`always`: the page
      // is live too); the stand-in decrypts what it accepted, and that very
      // payload is what the worker is given.
      const res = await stack.admin("/v1/notifications", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          userId: user,
          type: "e2e.push",
          title: "Standup in 5",
          body: "Room 2",
          data: { url: "/console" },
          push: "always",
        }),
      });
      assert.equal(res.status, 201, await res.clone().text());
      const { id } = created.parse(await res.json()).notification;
      await page.waitForFunction(() =>
        document.getElementById("unread")?.textContent === "1"
      );
      const [endpoint] = endpoints;
      assert.ok(endpoint !== undefined && endpoints.length === 1);
      const sent = await eventually(
        "Herald's push at the stand-in",
        async () => {
          const res = await fetch(
            `${stack.standIns.pushUrl}/messages?endpoint=${
              encodeURIComponent(endpoint)
            }`,
          );
          const [message] = received.parse(await res.json()).messages;
          return message ?? null;
        },
      );
      const payload = pushPayload.parse(JSON.parse(sent.payload));
      assert.deepEqual(
        [payload.id, payload.title, payload.body, payload.url],
        [id, "Standup in 5", "Room 2", "/console"],
      );
      const deliver = (data: unknown) =>
        cdp.send("ServiceWorker.deliverPushMessage", {
          origin: stack.url,
          registrationId,
          data: JSON.stringify(data),
        });
      await deliver(payload);
      await eventually("the notification on screen", async () => {
        const now = await shown(page);
        return now.length > 0 ? now : null;
      }).then((now) =>
        assert.deepEqual(now, [{
          title: "Standup in 5",
          tag: id,
          body: "Room 2",
        }])
      );

      // The title-only resend (after a 413) replaces it: same tag.
      const { body: _, ...titleOnly } = payload;
      await deliver({ ...titleOnly, title: "Standup in 5 (again)" });
      await eventually("the resend on screen", async () => {
        const now = await shown(page);
        return now[0]?.title === "Standup in 5 (again)" ? now : null;
      }).then((now) =>
        assert.deepEqual(now, [{
          title: "Standup in 5 (again)",
          tag: id,
          body: "",
        }])
      );

      // The worker's own click handler, on the notification it showed.
      const worker = await eventually(
        "Herald's worker attached",
        () =>
          Promise.resolve(
            context.serviceWorkers().find((w) =>
              w.url() === `${stack.url}/client/herald-sw.js`
            ) ?? null,
          ),
      );
      const outcome = await worker.evaluate(async () => {
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
      assert.equal(outcome.read, 200);
      assert.equal(outcome.left, 0, "the clicked notification is closed");
      assert.deepEqual(
        count.parse(
          await asUser(stack, user, `/v1/users/${user}/notifications/count`),
        ),
        { unread: 0 },
      );
      await page.waitForFunction(() =>
        document.getElementById("unread")?.textContent === "0"
      );
      // It went for the open /console window rather than opening one
      // (that would be "…open a window"), and without a real click's user
      // activation Chromium refuses the focus.
      assert.match(outcome.focus, /Not allowed to focus a window/);

      // Off again: Herald forgets the device.
      await page.click("#disablePush");
      await page.locator("#pushState", { hasText: "off" }).waitFor();
      assert.deepEqual(await devicesNow(), []);
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
      await stack.close();
    }
  },
});
