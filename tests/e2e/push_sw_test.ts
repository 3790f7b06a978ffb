import { eventually } from "@herald/testing";
import assert from "node:assert/strict";
import { z } from "zod";
import { launchChromium, noChromium } from "../support/chromium.ts";
import {
  clickInWorker,
  preparePushPage,
  pushedPayload,
  sendPushed,
  shownWhen,
} from "../support/push_browser.ts";
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

const count = z.object({ unread: z.number() });
const listed = z.object({
  items: z.array(z.object({
    endpointOrigin: z.string(),
    label: z.string(),
    lastSeenAt: z.string(),
  })),
});

async function asUser(stack: TestStack, user: string, path: string) {
  const res = await fetch(`${stack.url}${path}`, {
    headers: { authorization: `Bearer ${await stack.userToken(user)}` },
  });
  assert.equal(res.status, 200, await res.clone().text());
  return await res.json();
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
      const push = await preparePushPage({
        browser,
        page,
        stack,
        origin: stack.url,
      });
      const { keysAsked, endpoints } = push;

      // The console's button: permission, worker, VAPID key, PUT.
      const user = "e2e-push-ada";
      const connect = async () => {
        await page.goto(`${stack.url}/console/live`);
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

      // Herald pushes a notification to the device (`always`: the page
      // is live too); the stand-in decrypts what it accepted, and that very
      // payload is what the worker is given.
      const id = await sendPushed(stack, {
        userId: user,
        type: "e2e.push",
        title: "Standup in 5",
        body: "Room 2",
        data: { url: "/console/live" },
      });
      await page.waitForFunction(() =>
        document.getElementById("unread")?.textContent === "1"
      );
      const [endpoint] = endpoints;
      assert.ok(endpoint !== undefined && endpoints.length === 1);
      const payload = await pushedPayload(stack, endpoint);
      assert.deepEqual(
        [payload.id, payload.title, payload.body, payload.url],
        [id, "Standup in 5", "Room 2", "/console/live"],
      );
      await push.deliver(scope, payload);
      assert.deepEqual(
        await shownWhen(page, scope, (now) => now.length > 0),
        [{ title: "Standup in 5", tag: id, body: "Room 2" }],
      );

      // The title-only resend (after a 413) replaces it: same tag.
      const { body: _, ...titleOnly } = payload;
      await push.deliver(scope, {
        ...titleOnly,
        title: "Standup in 5 (again)",
      });
      assert.deepEqual(
        await shownWhen(
          page,
          scope,
          (now) => now[0]?.title === "Standup in 5 (again)",
        ),
        [{ title: "Standup in 5 (again)", tag: id, body: "" }],
      );

      // The worker's own click handler, on the notification it showed.
      const outcome = await clickInWorker(
        context,
        `${stack.url}/client/herald-sw.js`,
      );
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
      // It went for the open /console/live window rather than opening one
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
