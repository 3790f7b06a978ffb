import type { Browser } from "playwright-core";
import { launchChromium } from "../tests/support/chromium.ts";
import { startRemoteStack } from "./support/remote_stack.ts";
import { report, summarize } from "./stats.ts";

/**
 * Time to an interactive console overview in Chromium on the local stack,
 * against its floor in the same run: a page on the same origin that makes
 * the overview's five reads (health, realtime status, scheduler status,
 * jobs, metrics) and parses them, with no console code at all. Both are
 * loaded cold (a new browser context each time: no cache, no session) and
 * timed from navigation start to the moment the overview has drawn its data
 * (`#page-overview[data-ready]`) or the floor's reads have resolved, noted
 * in the page by a MutationObserver on `performance.now()`. The two are
 * interleaved so the machine's drift falls on both. Needs `deno task
 * build`. Env: BENCH_N (30).
 */
const N = Number(Deno.env.get("BENCH_N") ?? 30);
const FLOOR_PATH = "/bench-floor";

const floorHtml = `<!doctype html><meta charset="utf-8"><title>floor</title>
<script type="module">
const headers = { authorization: "Bearer " + sessionStorage.getItem("herald.adminKey") };
const read = (path, as) => fetch(path, { headers }).then((r) => r[as]());
await Promise.all([
  read("/v1/scheduler/health", "json"),
  read("/v1/realtime/status", "json"),
  read("/v1/scheduler/status?limit=1", "json"),
  read("/v1/scheduler/jobs", "json"),
  read("/metrics", "text"),
]);
window.readyAt = performance.now();
</script>`;

/** Notes when the overview has drawn its data, on the page's own clock. */
const watchReady = () => {
  new MutationObserver((_, observer) => {
    if (document.querySelector('#page-overview[data-ready="true"]')) {
      Reflect.set(globalThis, "readyAt", performance.now());
      observer.disconnect();
    }
  }).observe(document, { subtree: true, childList: true, attributes: true });
};

async function loadOnce(
  browser: Browser,
  url: string,
  apiKey: string,
): Promise<number> {
  const context = await browser.newContext();
  try {
    await context.addInitScript((key) => {
      sessionStorage.setItem("herald.adminKey", key);
    }, apiKey);
    await context.addInitScript(watchReady);
    // The floor page is answered by the browser, on Herald's origin.
    await context.route(
      `**${FLOOR_PATH}`,
      (route) => route.fulfill({ contentType: "text/html", body: floorHtml }),
    );
    const page = await context.newPage();
    await page.goto(url);
    const ready = await page.waitForFunction(
      () => Reflect.get(globalThis, "readyAt"),
      undefined,
      { timeout: 15_000, polling: 5 },
    );
    return Number(await ready.jsonValue());
  } finally {
    await context.close();
  }
}

const stack = await startRemoteStack();
const browser = await launchChromium();
try {
  // Something to show: a few notifications sent, so the charts have data.
  for (let i = 0; i < 5; i++) {
    const res = await stack.admin("/v1/notifications", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        userId: `bench-tti-${i}`,
        type: "bench.tti",
        title: `#${i}`,
      }),
    });
    if (res.status !== 201) throw new Error(`create: ${res.status}`);
    await res.body?.cancel();
  }
  const consoleMs: number[] = [];
  const floorMs: number[] = [];
  // One of each first, not counted: workerd and Chromium warm up.
  await loadOnce(browser, `${stack.url}/console`, stack.apiKey);
  await loadOnce(browser, `${stack.url}${FLOOR_PATH}`, stack.apiKey);
  for (let i = 0; i < N; i++) {
    consoleMs.push(
      await loadOnce(browser, `${stack.url}/console`, stack.apiKey),
    );
    floorMs.push(
      await loadOnce(browser, `${stack.url}${FLOOR_PATH}`, stack.apiKey),
    );
  }
  const overview = summarize(consoleMs);
  const floor = summarize(floorMs);
  await report("console_tti", {
    n: N,
    overviewInteractive: overview,
    floorFiveReads: floor,
    ratioP50: Math.round((overview.p50 / floor.p50) * 100) / 100,
    ratioP99: Math.round((overview.p99 / floor.p99) * 100) / 100,
    loadavg: Deno.loadavg(),
  });
} finally {
  await browser.close();
  await stack.close();
}
