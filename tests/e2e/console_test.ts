import assert from "node:assert/strict";
import type { Browser, Page } from "playwright-core";
import { launchChromium, noChromium } from "../support/chromium.ts";
import { sendNotification } from "../support/notifications_api.ts";
import { startTestStack, type TestStack } from "../support/test_stack.ts";

/**
 * The console page end to end, in Debian's headless Chromium, on each
 * transport: the page shows a notification sent through the API, keeps the
 * unread badge right, and after a forced disconnect shows what was sent
 * meanwhile, once each.
 */

const send = (stack: TestStack, userId: string, title: string) =>
  sendNotification(stack, { userId, title });

const titles = (page: Page) =>
  page.locator("#notifications li .title").allTextContents();

async function within<T>(ms: number, work: Promise<T>, what: string) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no ${what} in ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

async function waitForState(page: Page, state: string) {
  await page.waitForFunction(
    (s) => document.getElementById("state")?.dataset.state === s,
    state,
    { timeout: 10_000 },
  );
}

for (const transport of ["sse", "websocket"] as const) {
  Deno.test({
    name:
      `the console shows live notifications and resumes after a forced disconnect (${transport})`,
    ignore: noChromium,
    // Chromium's own pipes and timers outlive a test's bookkeeping.
    sanitizeOps: false,
    sanitizeResources: false,
    fn: async () => {
      const stack = await startTestStack();
      let browser: Browser | null = null;
      try {
        browser = await launchChromium();
        const context = await browser.newContext();
        const page = await context.newPage();
        const errors: string[] = [];
        page.on("pageerror", (e) => errors.push(e.message));

        const user = `e2e-ada-${transport}`;
        await page.goto(`${stack.url}/console/live`);
        await page.selectOption("#transport", transport);
        await page.fill("#token", await stack.userToken(user));
        await page.click("#connect");
        await waitForState(page, "open");
        assert.equal(await page.textContent("#user"), user);
        // The bell has its own stream: it is open before anything is sent,
        // so what follows tests the stream, not a polling fallback's timer.
        await page.waitForFunction(
          () =>
            document.querySelector<HTMLElement>("herald-inbox")?.dataset
              .connection === "open",
          undefined,
          { timeout: 15_000 },
        );

        await send(stack, user, "First live one");
        await page.locator("#notifications li", { hasText: "First live one" })
          .waitFor({ timeout: 10_000 });
        await page.waitForFunction(() =>
          document.getElementById("unread")?.textContent === "1"
        );
        // The drop-in bell in the header follows the same user.
        await page.getByRole("button", { name: "Notifications, 1 unread" })
          .waitFor({ timeout: 10_000 });

        // Marking it read updates the badge through the API and the stream.
        await page.click("#notifications li .mark-read");
        await page.waitForFunction(() =>
          document.getElementById("unread")?.textContent === "0"
        );

        // A forced disconnect: new stream connections are refused and the
        // live one is dropped, so the client must resume from its last id.
        // (Chromium's offline emulation leaves loopback streams open.)
        const blockStreams = "**/v1/stream?*";
        let blocked = true;
        const refused = Promise.withResolvers<void>();
        if (transport === "sse") {
          await context.route(blockStreams, (route) => {
            refused.resolve();
            return route.abort("connectionreset");
          });
        } else {
          await context.routeWebSocket(/\/v1\/stream\?/, (ws) => {
            if (!blocked) return ws.connectToServer();
            refused.resolve();
            return ws.close();
          });
        }
        await page.click("#drop");
        await waitForState(page, "reconnecting");
        await send(stack, user, "Missed one");
        await send(stack, user, "Missed two");
        // At least one reconnect attempt fails against the block.
        await within(15_000, refused.promise, "a refused reconnect");
        assert.deepEqual(
          (await titles(page)).filter((t) => t.startsWith("Missed")),
          [],
          "nothing arrives while disconnected",
        );
        if (transport === "sse") await context.unroute(blockStreams);
        blocked = false;
        await waitForState(page, "open");
        for (const title of ["Missed one", "Missed two"]) {
          await page.locator("#notifications li", { hasText: title })
            .waitFor({ timeout: 15_000 });
        }
        // A marker sent after them arrives after anything the resume could
        // have doubled (one connection, in order): then count.
        await send(stack, user, "Marker");
        await page.locator("#notifications li", { hasText: "Marker" })
          .waitFor({ timeout: 10_000 });
        const shown = await titles(page);
        for (const title of ["First live one", "Missed one", "Missed two"]) {
          assert.equal(
            shown.filter((t) => t === title).length,
            1,
            `${title} once`,
          );
        }
        await page.waitForFunction(() =>
          document.getElementById("unread")?.textContent === "3"
        );

        // The console's own "send a test notification" uses the admin key,
        // which also loads the catalogue's types into the form.
        await page.fill("#apiKey", stack.apiKey);
        await page.press("#apiKey", "Tab");
        await page.waitForSelector('#type[data-loaded="4"]');
        await page.selectOption("#type", "taskReminder");
        assert.equal(await page.inputValue("#title"), "Task reminder");
        await page.fill("#title", "From the console form");
        await page.click("#send");
        const sent = page.locator("#notifications li", {
          hasText: "From the console form",
        });
        await sent.waitFor({ timeout: 10_000 });
        assert.match(
          await sent.locator(".meta").innerText(),
          /^taskReminder ·/,
        );

        const shot = Deno.env.get("E2E_SCREENSHOT");
        if (shot) await page.screenshot({ path: shot, fullPage: true });
        assert.deepEqual(errors, []);
      } finally {
        await browser?.close();
        await stack.close();
      }
    },
  });
}
