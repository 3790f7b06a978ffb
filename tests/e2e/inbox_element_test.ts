import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { eventually } from "@herald/testing";
import type { HeraldInboxElement } from "../../src/client/herald_inbox.ts";
import { withAppOrigin } from "../support/app_origin.ts";
import { noChromium } from "../support/chromium.ts";
import {
  sendNotification,
  userSubscribers,
} from "../support/notifications_api.ts";
import type { TestStack } from "../support/test_stack.ts";

/**
 * `<herald-inbox>` end to end in Debian's headless Chromium, on a page of
 * another origin (the app's, served here on `localhost` while Herald is on
 * 127.0.0.1, with CORS configured for it): the bell, the live badge, the
 * feed, reading, a second tab following the first over one stream,
 * keyboard-only use, and the polling fallback when the stream endpoint is
 * blocked, with the hand-back when it returns. A screenshot of the open
 * feed is written to a temporary directory and its path printed.
 */

function hostPage(herald: string, token: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>An app</title>
<script type="module" src="${herald}/client/herald-inbox.js"></script>
<style>body{font:15px system-ui;margin:2rem;display:flex;justify-content:flex-end}
herald-inbox{--herald-accent:#7a3cff}</style></head>
<body><button id="before">App button</button>
<herald-inbox url="${herald}" token="${token}" poll-max-ms="2000"></herald-inbox>
</body></html>`;
}

const send = (stack: TestStack, userId: string, title: string) =>
  sendNotification(stack, { userId, title, severity: "high" });

async function serverCount(stack: TestStack, userId: string) {
  const res = await stack.admin(`/v1/users/${userId}/notifications/count`);
  const body: { unread: number } = await res.json();
  return body.unread;
}

/** The bell's accessible name, as a screen reader would read it. */
const bellName = (page: Page) =>
  page.getByRole("button", { name: /^Notifications, \d+ unread$/ })
    .getAttribute("aria-label");

async function waitForBell(page: Page, unread: number, timeout = 10_000) {
  await page.getByRole("button", {
    name: `Notifications, ${unread} unread`,
    exact: true,
  }).waitFor({ timeout });
}

async function waitForConnection(page: Page, connection: string) {
  await page.waitForFunction(
    (c) =>
      document.querySelector<HeraldInboxElement>("herald-inbox")?.dataset
        .connection === c,
    connection,
    { timeout: 30_000 },
  );
}

const isLeader = (page: Page) =>
  page.evaluate(() =>
    document.querySelector<HeraldInboxElement>("herald-inbox")?.store?.leading
  );

Deno.test({
  name:
    "<herald-inbox> on another origin: live badge, feed, read, a second tab in step, keyboard, polling fallback and back",
  ignore: noChromium,
  // Chromium's own pipes and timers outlive a test's bookkeeping.
  sanitizeOps: false,
  sanitizeResources: false,
  fn: () =>
    withAppOrigin(async ({ app, stack, browser }) => {
      const user = "e2e-inbox-ada";
      app.serve("/", hostPage(stack.url, await stack.userToken(user)));
      assert.notEqual(new URL(stack.url).origin, app.origin);
      const context = await browser.newContext();
      const errors: string[] = [];
      const tab = async () => {
        const page = await context.newPage();
        page.on("pageerror", (e) => errors.push(e.message));
        await page.goto(`${app.origin}/`);
        return page;
      };
      const first = await tab();
      await waitForBell(first, 0);
      await waitForConnection(first, "open");
      const second = await tab();
      await waitForBell(second, 0);
      await waitForConnection(second, "open");
      assert.deepEqual(
        [await isLeader(first), await isLeader(second)],
        [true, false],
        "one stream: the first tab leads",
      );
      assert.equal(
        await userSubscribers(stack, user),
        1,
        "Herald holds one stream for the two tabs",
      );

      // A notification through the API: the badge says 1 in both tabs.
      const sent = performance.now();
      await send(stack, user, "Your order shipped");
      await waitForBell(first, 1);
      const badgeMs = performance.now() - sent;
      await waitForBell(second, 1);
      console.log(`badge 0 → 1 in ${badgeMs.toFixed(0)} ms after the POST`);
      assert.ok(badgeMs < 5_000, `badge after ${badgeMs} ms`);

      // The feed shows it; reading it reaches the server and the other tab.
      await first.getByRole("button", { name: "Notifications, 1 unread" })
        .click();
      const row = first.getByRole("button", { name: /Your order shipped/ });
      await row.waitFor();
      assert.match((await row.getAttribute("class")) ?? "", /unread/);
      assert.match(
        (await row.innerText()) ?? "",
        /high · (now|\d+ seconds? ago)/,
      );
      const dir = await Deno.makeTempDir({ prefix: "herald-inbox-" });
      const shot = `${dir}/open-feed.png`;
      await first.screenshot({ path: shot });
      console.log(`screenshot of the open feed: ${shot}`);
      await row.click();
      await waitForBell(first, 0);
      await eventually(
        "the server's count at 0",
        async () => (await serverCount(stack, user)) === 0 || null,
      );
      await waitForBell(second, 0);
      await first.keyboard.press("Escape");
      assert.ok(await first.getByRole("dialog").isHidden());

      // Keyboard only, in the second tab: Tab to the bell, Enter opens,
      // arrows move, Enter reads, Escape closes and focus is back on it.
      await send(stack, user, "Second");
      await send(stack, user, "Third");
      await waitForBell(second, 2);
      await second.bringToFront();
      await second.locator("#before").focus();
      await second.keyboard.press("Tab");
      assert.equal(await bellName(second), "Notifications, 2 unread");
      assert.ok(
        await second.evaluate(() =>
          document.activeElement?.tagName === "HERALD-INBOX"
        ),
        "the bell has focus",
      );
      await second.keyboard.press("Enter");
      const focused = () =>
        second.evaluate(() =>
          document.querySelector<HeraldInboxElement>("herald-inbox")?.shadowRoot
            ?.activeElement
            ?.textContent ?? ""
        );
      await eventually(
        "the newest item focused",
        async () => /Third/.test(await focused()) || null,
      );
      await second.keyboard.press("ArrowDown");
      assert.match(await focused(), /Second/);
      await second.keyboard.press("Enter");
      await waitForBell(second, 1);
      await waitForBell(first, 1);
      await second.keyboard.press("Escape");
      assert.equal(
        await second.evaluate(() =>
          document.querySelector<HeraldInboxElement>("herald-inbox")?.shadowRoot
            ?.activeElement
            ?.getAttribute("part")
        ),
        "bell",
      );
      assert.ok(await second.getByRole("dialog").isHidden());

      // The stream endpoint blocked (SSE refused, WebSocket closed): the
      // leader polls, both tabs say so and still follow; then it streams.
      let blocked = true;
      await context.route(
        "**/v1/stream?*",
        (route) =>
          blocked ? route.abort("connectionrefused") : route.continue(),
      );
      await context.routeWebSocket(
        /\/v1\/stream\?/,
        (ws) => blocked ? ws.close() : ws.connectToServer(),
      );
      await first.evaluate(() =>
        document.querySelector<HeraldInboxElement>("herald-inbox")?.store
          ?.reconnect()
      );
      await waitForConnection(first, "polling");
      await waitForConnection(second, "polling");
      await send(stack, user, "While polling");
      await waitForBell(first, 2, 15_000);
      await waitForBell(second, 2, 15_000);
      await first.getByRole("button", { name: "Notifications, 2 unread" })
        .click();
      await first.getByRole("button", { name: /While polling/ }).waitFor();
      assert.match(
        await first.locator("herald-inbox").locator("[part=connection]")
          .innerText(),
        /polling/,
      );
      blocked = false;
      await waitForConnection(first, "open");
      await waitForConnection(second, "open");
      await send(stack, user, "Streaming again");
      await waitForBell(first, 3);
      await waitForBell(second, 3);
      assert.deepEqual(errors, []);
    }),
});

Deno.test({
  name:
    "<herald-inbox> pages by scrolling, renders host items and strings, mirrors right to left, tells the host, and rolls back a refused read",
  ignore: noChromium,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: () =>
    withAppOrigin(async ({ app, stack, browser }) => {
      const user = "e2e-inbox-hedy";
      for (let i = 1; i <= 25; i++) await send(stack, user, `#${i}`);
      const token = await stack.userToken(user);
      app.serve(
        "/",
        `<!doctype html><html lang="es" dir="rtl"><meta charset="utf-8">
<script type="module" src="${stack.url}/client/herald-inbox.js"></script>
<body style="margin:2rem"><herald-inbox url="${stack.url}" token="${token}" page-size="10"></herald-inbox>
<script type="module">
await customElements.whenDefined("herald-inbox");
const inbox = document.querySelector("herald-inbox");
window.events = [];
for (const type of ["herald:notification", "herald:read", "herald:count"]) {
  document.addEventListener(type, (e) => window.events.push({ type, detail: e.detail }));
}
inbox.strings = { bell: (n) => "Avisos, " + n + " sin leer", title: "Avisos", markAllRead: "Marcar todo" };
inbox.renderItem = (item) => item.title === "#15" ? "a medida " + item.title : null;
</script>`,
      );
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      await page.goto(`${app.origin}/`);
      const bell = (n: number) =>
        page.getByRole("button", {
          name: `Avisos, ${n} sin leer`,
          exact: true,
        });
      await bell(25).waitFor({ timeout: 10_000 });
      await bell(25).click();
      const items = page.locator("herald-inbox").locator("[part~=item]");
      await eventually(
        "the first page",
        async () => (await items.count()) === 10 || null,
      );
      assert.equal(await page.getByRole("heading").innerText(), "Avisos");

      // Scrolling to the end of the list loads the next pages, then stops.
      for (const want of [20, 25]) {
        await page.locator("herald-inbox").locator("[part=list]").evaluate(
          (list) => list.scrollTop = list.scrollHeight,
        );
        await eventually(
          `${want} items`,
          async () => (await items.count()) === want || null,
        );
      }
      assert.ok(
        await page.locator("herald-inbox").locator("[part=more]").isHidden(),
      );
      assert.equal(
        await page.locator("herald-inbox").locator("[data-id]", {
          hasText: "a medida #15",
        }).count(),
        1,
        "renderItem drew #15",
      );

      // Right to left: the popover hangs from the bell's left edge.
      const host = await page.locator("herald-inbox").boundingBox();
      const panel = await page.locator("herald-inbox").locator("[part=panel]")
        .boundingBox();
      assert.ok(host && panel);
      assert.ok(Math.abs(panel.x - host.x) <= 1, `${panel.x} vs ${host.x}`);

      // Mark all read: the host hears the read and the count.
      await page.getByRole("button", { name: "Marcar todo" }).click();
      await bell(0).waitFor();
      await eventually(
        "the server's count at 0",
        async () => (await serverCount(stack, user)) === 0 || null,
      );
      await send(stack, user, "Nuevo");
      await bell(1).waitFor();
      const events: { type: string; detail: Record<string, unknown> }[] =
        await page.evaluate(() => Reflect.get(globalThis, "events"));
      assert.ok(
        events.some((e) => e.type === "herald:read" && e.detail.ids === "all"),
      );
      assert.ok(
        events.some((e) => e.type === "herald:count" && e.detail.unread === 0),
      );
      const arrived = events.find((e) => e.type === "herald:notification");
      const item = arrived?.detail.item;
      assert.ok(typeof item === "object" && item !== null && "title" in item);
      assert.equal(item.title, "Nuevo");
      assert.match(
        await page.locator("herald-inbox").locator("[aria-live]").innerText(),
        /Nuevo/,
      );

      // Herald refuses the read: the item and the badge roll back.
      const refused = Promise.withResolvers<void>();
      await page.route("**/notifications/*/read", async (route) => {
        await route.fulfill({
          status: 503,
          contentType: "application/json",
          body: JSON.stringify({
            error: { code: "unavailable", message: "Down", requestId: "r" },
          }),
        });
        refused.resolve();
      });
      const fresh = page.locator("herald-inbox").locator("[data-id]", {
        hasText: "Nuevo",
      });
      await fresh.click();
      await refused.promise;
      await eventually(
        "the read rolled back",
        async () =>
          /unread/.test((await fresh.getAttribute("class")) ?? "") || null,
      );
      await bell(1).waitFor();
      assert.equal(await serverCount(stack, user), 1);
      assert.deepEqual(errors, []);
    }),
});
