import assert from "node:assert/strict";
import type { Browser, Page } from "playwright-core";
import { nextGapFor } from "../../src/domain/time/dst_gap.ts";
import { launchChromium, noChromium } from "../support/chromium.ts";
import { heraldNow, setDevClock } from "../support/placement.ts";
import { startTestStack, type TestStack } from "../support/test_stack.ts";

/**
 * Every page of the operator console, in headless Chromium at 375 px wide,
 * against a seeded stack: the key is entered once by keyboard and kept in
 * sessionStorage only; each page shows the stack's real data; a user in
 * New York gets the right week across a DST change; saving the form
 * changes what `upcoming` shows; a paused scheduler shows paused slots; a
 * failing job shows its failure. A screenshot of each page goes to a
 * temporary directory (named in the test's output).
 */

const USER = "e2e-nyc";
const ZONE = "America/New_York";
const DAY = 86_400_000;

// The host app's job webhook, failing on purpose.
const host = Deno.serve(
  { hostname: "127.0.0.1", port: 0, onListen() {} },
  () => new Response("no", { status: 500 }),
);

async function admin(
  stack: TestStack,
  path: string,
  method: string,
  body: unknown,
) {
  const res = await stack.admin(path, {
    method,
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  assert.ok(
    res.ok,
    `${method} ${path}: ${res.status} ${await res.clone().text()}`,
  );
  await res.body?.cancel();
}

/** A user with two types in New York, saved three days before a DST gap. */
async function seed(stack: TestStack): Promise<{ gapDate: string }> {
  const gap = nextGapFor(ZONE, "02:30", await heraldNow(stack));
  assert.ok(gap);
  // 06:30 EST: the week ends at 07:30 EDT, before the eighth 08:00.
  await setDevClock(stack, Date.parse(`${gap.date}T11:30:00Z`) - 3 * DAY);
  await admin(stack, `/v1/users/${USER}/preferences`, "PUT", {
    enabled: true,
    timezone: ZONE,
    types: {
      morningDigest: { enabled: true, times: ["08:00"] },
      taskReminder: {
        enabled: true,
        times: ["02:30"],
        days: ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
      },
    },
  });
  await admin(stack, "/v1/notifications", "POST", {
    userId: USER,
    type: "e2e.test",
    title: "Seeded for the console",
    body: "from the test",
  });
  // One push device, as a browser would subscribe on the push stand-in.
  const subscribed = await fetch(`${stack.standIns.pushUrl}/subscribe`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ applicationServerKey: stack.vapidPublicKey }),
  });
  assert.equal(subscribed.status, 201);
  await admin(stack, `/v1/users/${USER}/push-subscriptions`, "PUT", {
    ...(await subscribed.json() as Record<string, unknown>),
    label: "E2E laptop",
  });
  await admin(stack, "/v1/scheduler/jobs/broken", "PUT", {
    name: "Broken export",
    trigger: { type: "interval", every: "1d" },
    target: { webhook: `http://127.0.0.1:${host.addr.port}/export` },
  });
  return { gapDate: gap.date };
}

async function ready(page: Page, name: string) {
  await page.waitForSelector(`#page-${name}[data-ready="true"]`, {
    timeout: 15_000,
  });
}

/** Readable at 375 px: nothing makes the page itself scroll sideways. */
async function fitsNarrow(page: Page, name: string) {
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 375, `${name} is ${width} px wide at 375`);
}

Deno.test({
  name:
    "the console's pages show a seeded stack's data and change it through the API",
  ignore: noChromium,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const stack = await startTestStack();
    const shots = await Deno.makeTempDir({ prefix: "herald-console-" });
    let browser: Browser | null = null;
    try {
      const { gapDate } = await seed(stack);
      browser = await launchChromium();
      const page = await browser.newPage({
        viewport: { width: 375, height: 800 },
      });
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      const shoot = async (name: string) => {
        await fitsNarrow(page, name);
        await page.screenshot({ path: `${shots}/${name}.png`, fullPage: true });
      };

      // The key, by keyboard; kept in sessionStorage, never in the URL.
      await page.goto(`${stack.url}/console`);
      await page.waitForSelector("#admin-key:focus");
      await page.keyboard.type(stack.apiKey);
      await page.keyboard.press("Enter");
      await ready(page, "overview");
      assert.ok(!page.url().includes(stack.apiKey));
      assert.deepEqual(
        await page.evaluate(() => [
          sessionStorage.getItem("herald.adminKey") !== null,
          localStorage.length,
        ]),
        [true, 0],
      );

      // Overview: health of each part, live figures, the metrics' totals.
      assert.match(
        await page.innerText("#health-status"),
        /^(ok|degraded)$/,
      );
      assert.equal(await page.innerText("#running"), "running");
      assert.equal(await page.innerText("#push-state"), "on");
      assert.ok(Number(await page.innerText("#sent-total")) >= 1);
      assert.equal(await page.locator("figure.chart svg").count(), 3);
      await shoot("overview");

      // Users: the week in New York across the spring-forward.
      await page.goto(`${stack.url}/console#users?user=${USER}`);
      await ready(page, "users");
      await page.waitForSelector('#timeline[data-count="14"]');
      const rows = await page.locator("#timeline tbody tr").allInnerTexts();
      const row = (occurrence: string) => {
        const found = rows.find((r) => r.includes(occurrence));
        assert.ok(found, `no row for ${occurrence}`);
        return found;
      };
      // 02:30 does not exist on the gap day: delivered at 03:30 EDT.
      assert.match(row(`${gapDate} 02:30`), /03:30/);
      const dayBefore = new Date(Date.parse(gapDate) - DAY).toISOString()
        .slice(0, 10);
      assert.match(row(`${dayBefore} 02:30`), /02:30/);
      assert.match(row(`${gapDate} 08:00`), /08:00/);
      assert.match(
        await page.innerText("#page-users"),
        /Seeded for the console/,
      );
      assert.match(
        await page.innerText("#push-devices"),
        new RegExp(`E2E laptop\\s+${new URL(stack.standIns.pushUrl).origin}`),
      );
      await shoot("users");

      // Saving the form: the diff before, the API's changes after, and a
      // timeline from `upcoming` with the new time in it.
      await page.fill(
        '[data-type="morningDigest"][data-field="times"]',
        "08:00, 12:00",
      );
      await page.waitForSelector("#diff-before code", { timeout: 5_000 });
      assert.match(
        await page.innerText("#diff-before"),
        /types\.morningDigest\.times/,
      );
      await page.click("#save");
      await page.waitForSelector("#diff-after code", { timeout: 10_000 });
      assert.match(
        await page.innerText("#diff-after"),
        /types\.morningDigest\.times/,
      );
      await page.waitForSelector('#timeline[data-count="21"]');
      await page.click("#drift");
      await page.waitForSelector("#repair-result pre");
      assert.match(await page.innerText("#repair-result"), /"scope"/);

      // Catalogue: a live preview, the API's refusal, then a saved change.
      await page.goto(`${stack.url}/console#catalogue?type=taskReminder`);
      await ready(page, "catalogue");
      await page.fill(
        '#type-form [name="title"]',
        "{{label}} on {{localDate}}",
      );
      assert.equal(
        await page.innerText("#preview .title"),
        "Task reminder on 2027-03-14",
      );
      await page.fill('#type-form [name="title"]', "{{nope}}");
      assert.match(
        await page.innerText("#preview"),
        /Unknown placeholders: nope/,
      );
      await page.click("#save-type");
      await page.waitForSelector("#type-errors li");
      assert.match(await page.innerText("#type-errors"), /nope/);
      await page.fill('#type-form [name="title"]', "Tasks for {{localDate}}");
      await page.click("#save-type");
      await page.waitForSelector("#retype > *");
      assert.match(await page.innerText("#status"), /Saved taskReminder/);
      await shoot("catalogue");

      // Jobs: running the failing one shows its failure.
      await page.goto(`${stack.url}/console#jobs`);
      await ready(page, "jobs");
      await page.click('[data-trigger="broken"]');
      await page.waitForSelector('[data-job="broken"].bad', {
        timeout: 15_000,
      });
      assert.match(
        await page.innerText('[data-job="broken"]'),
        /failed: webhook answered 500/,
      );
      await shoot("jobs");
      // The overview's last errors name it too.
      await page.goto(`${stack.url}/console#overview`);
      await ready(page, "overview");
      assert.match(
        await page.innerText("#last-errors"),
        /job Broken export[\s\S]*webhook answered 500/,
      );

      // Schedules: the heat map, then pause — every slot shows paused.
      await page.goto(`${stack.url}/console#schedules`);
      await ready(page, "schedules");
      assert.equal(await page.innerText("#scheduler-state"), "running");
      assert.ok(await page.locator(".heatmap rect.cell").count() >= 3);
      await page.click("#pause");
      await page.waitForSelector('#operation .operation[data-status="done"]', {
        timeout: 15_000,
      });
      await page.reload();
      await ready(page, "schedules");
      assert.equal(await page.innerText("#scheduler-state"), "paused");
      const cells = page.locator(".heatmap rect.cell");
      assert.equal(
        await page.locator(".heatmap rect.cell.paused").count(),
        await cells.count(),
      );
      await shoot("schedules");

      // Live: today's connect-and-send page, one link away.
      await page.click('nav a[href="/console/live"]');
      await page.waitForSelector("#connect");
      await shoot("live");

      assert.deepEqual(errors, []);
      console.log(`Console screenshots: ${shots}`);
    } finally {
      await browser?.close();
      await stack.close();
      await host.shutdown();
    }
  },
});
