import assert from "node:assert/strict";
import type { Browser } from "playwright-core";
import { launchChromium, noChromium } from "../support/chromium.ts";
import { startTestStack } from "../support/test_stack.ts";

/**
 * `/docs` in Debian's headless Chromium: the reference renders the live
 * document offline (every request stays on Herald's origin) and its
 * "Test Request" client calls the API and shows the answer.
 */

Deno.test({
  name: "the docs page renders the API offline and its client calls the API",
  ignore: noChromium,
  // Chromium's own pipes and timers outlive a test's bookkeeping.
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const stack = await startTestStack();
    let browser: Browser | null = null;
    try {
      browser = await launchChromium();
      const page = await browser.newPage();
      const elsewhere: string[] = [];
      const errors: string[] = [];
      page.on("request", (r) => {
        if (!r.url().startsWith(`${stack.url}/`)) elsewhere.push(r.url());
      });
      page.on("pageerror", (e) => errors.push(e.message));

      const res = await page.goto(`${stack.url}/docs`);
      assert.equal(res?.status(), 200);
      assert.match(
        res?.headers()["content-security-policy"] ?? "",
        /connect-src 'self'/,
      );
      // Rendered from /openapi.json: the title and the operations' summaries.
      await page.getByRole("heading", { name: "Herald", level: 1 })
        .waitFor({ timeout: 20_000 });
      await page.getByText("Read a user's preferences").first().waitFor();

      // The built-in client sends a real request and shows the answer: no
      // credentials, so the API's own 401 envelope.
      await page.locator("button", {
        hasText: "Test Request(get /v1/users/{userId}/preferences)",
      }).click();
      await page.getByRole("button", { name: "Send" }).first().click();
      await page.getByText("401 Unauthorized").first().waitFor({
        timeout: 10_000,
      });
      await page.getByText('"Missing bearer token"').first().waitFor();

      assert.deepEqual(elsewhere, [], "nothing is loaded from elsewhere");
      assert.deepEqual(errors, []);
    } finally {
      await browser?.close();
      await stack.close();
    }
  },
});
