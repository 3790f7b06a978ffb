import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import type { Page } from "playwright-core";
import { eventually } from "@herald/testing";
import { bundleModule } from "../../scripts/build_client.ts";
import { withAppOrigin } from "../support/app_origin.ts";
import { noChromium } from "../support/chromium.ts";
import {
  sendNotification,
  userSubscribers,
} from "../support/notifications_api.ts";

/**
 * The React binding rendered in Debian's headless Chromium: an app bundled
 * with React and React DOM from npm, in strict mode, on another origin.
 * One provider holds one stream (Herald's own status says so), the hooks
 * follow the live count and items, and reading goes to the server.
 */

const APP = fileURLToPath(
  new URL("./fixtures/react_inbox_app.ts", import.meta.url),
);

const text = (page: Page, id: string) => page.locator(`#${id}`).innerText();

async function waitForText(page: Page, id: string, value: string) {
  await page.waitForFunction(
    (want) => document.getElementById(want.id)?.textContent === want.value,
    { id, value },
    { timeout: 10_000 },
  );
}

Deno.test({
  name:
    "useHeraldInbox() and useUnreadCount() in strict mode: one stream per provider, live count and items, reads reach Herald",
  ignore: noChromium,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const js = await bundleModule(APP, {
      define: { "process.env.NODE_ENV": '"development"' },
    });
    await withAppOrigin(async ({ app, stack, browser }) => {
      const user = "e2e-react-grace";
      const config = { url: stack.url, token: await stack.userToken(user) };
      app.serve("/app.js", js, "text/javascript");
      app.serve(
        "/",
        `<!doctype html><meta charset="utf-8"><div id="root"></div>
<script>globalThis.heraldTest = ${JSON.stringify(config)};</script>
<script type="module" src="/app.js"></script>`,
      );
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      await page.goto(`${app.origin}/`);
      await waitForText(page, "connection", "open");
      assert.equal(await text(page, "unread"), "0");
      assert.equal(await text(page, "badge"), "0");
      // Strict mode mounted the provider twice: one stream is left.
      assert.equal(await userSubscribers(stack, user), 1);

      await sendNotification(stack, { userId: user, title: "From React" });
      await waitForText(page, "badge", "1");
      await waitForText(page, "unread", "1");
      const item = page.locator("li .item", { hasText: "From React" });
      await item.waitFor();
      assert.match((await item.getAttribute("class")) ?? "", /unread/);
      await item.click();
      await waitForText(page, "badge", "0");
      assert.match((await item.getAttribute("class")) ?? "", /\bread\b/);
      await eventually("the server's count at 0", async () => {
        const res = await stack.admin(
          `/v1/users/${user}/notifications/count`,
        );
        const body: { unread: number } = await res.json();
        return body.unread === 0 || null;
      });

      await sendNotification(stack, { userId: user, title: "Two" });
      await sendNotification(stack, { userId: user, title: "Three" });
      await waitForText(page, "badge", "2");
      await page.click("#all");
      await waitForText(page, "unread", "0");
      assert.equal(await userSubscribers(stack, user), 1);
      assert.deepEqual(errors, []);
    });
  },
});
