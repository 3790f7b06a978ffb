import { launchChromium } from "../tests/support/chromium.ts";
import { startRemoteStack } from "./support/remote_stack.ts";
import { report, summarize } from "./stats.ts";
import { HERALD_CLIENT_JS } from "../src/client/herald_client.bundle.ts";

/**
 * From `POST /v1/notifications` to `<herald-inbox>`'s badge changing in
 * Chromium, against the floor measured in the same run and page: the raw
 * HeraldClient's `onCount` callback on a stream of its own. The page is on
 * another origin (CORS), as an app's would be. For each of N notifications,
 * sent one at a time, the bench notes the wall clock before the POST; the
 * page notes (on the same clock) when the raw client's callback ran, when
 * the bell's accessible name changed (a MutationObserver: the DOM holds
 * the new count) and the next animation frame after it (painted).
 * Needs `deno task build`. Env: BENCH_N (100).
 */
const N = Number(Deno.env.get("BENCH_N") ?? 100);
const now = () => performance.timeOrigin + performance.now();

let html = "";
const app = Deno.serve(
  { hostname: "127.0.0.1", port: 0, onListen() {} },
  // The raw client is served by the app itself (Herald serves it without
  // CORS, for its console); the element comes from Herald.
  (req) =>
    new URL(req.url).pathname === "/herald-client.js"
      ? new Response(HERALD_CLIENT_JS, {
        headers: { "content-type": "text/javascript" },
      })
      : new Response(html, { headers: { "content-type": "text/html" } }),
);
const appOrigin = `http://localhost:${app.addr.port}`;
const stack = await startRemoteStack({ CORS_ORIGINS: appOrigin });
const browser = await launchChromium();
try {
  const user = "bench-badge";
  const token = await stack.userToken(user);
  html = `<!doctype html><meta charset="utf-8">
<script type="module" src="${stack.url}/client/herald-inbox.js"></script>
<herald-inbox url="${stack.url}" token="${token}"></herald-inbox>
<script type="module">
import { HeraldClient } from "/herald-client.js";
const at = () => performance.timeOrigin + performance.now();
window.raw = {}; window.badge = {}; window.painted = {};
new HeraldClient({
  baseUrl: ${JSON.stringify(stack.url)},
  getStreamToken: async () => (await (await fetch(${
    JSON.stringify(`${stack.url}/v1/stream/token`)
  }, { method: "POST", headers: { authorization: "Bearer ${token}" } })).json()).token,
  onCount: (n) => { window.raw[n] ??= at(); },
  onState: (s) => { window.rawState = s; },
});
await customElements.whenDefined("herald-inbox");
const bell = document.querySelector("herald-inbox").shadowRoot.querySelector("[part=bell]");
new MutationObserver(() => {
  const n = Number(/, (\\d+) unread/.exec(bell.getAttribute("aria-label"))?.[1]);
  if (window.badge[n] !== undefined) return;
  window.badge[n] = at();
  requestAnimationFrame(() => { window.painted[n] = at(); });
}).observe(bell, { attributes: true, attributeFilter: ["aria-label"] });
</script>`;
  const page = await browser.newPage();
  await page.goto(`${appOrigin}/`);
  await page.waitForFunction(() =>
    Reflect.get(globalThis, "rawState") === "open" &&
    document.querySelector<HTMLElement>("herald-inbox")?.dataset
        .connection === "open"
  );
  const rawMs: number[] = [];
  const badgeMs: number[] = [];
  const paintedMs: number[] = [];
  for (let i = 1; i <= N; i++) {
    const sent = now();
    const res = await stack.admin("/v1/notifications", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        userId: user,
        type: "bench.badge",
        title: `#${i}`,
      }),
    });
    if (res.status !== 201) throw new Error(`create: ${res.status}`);
    await res.body?.cancel();
    const seen = await page.waitForFunction(
      (n) => {
        const times = ["raw", "badge", "painted"].map((k) => {
          const t: unknown = Reflect.get(Reflect.get(globalThis, k) ?? {}, n);
          return typeof t === "number" ? t : null;
        });
        return times.every((t) => t !== null) ? times : null;
      },
      i,
      { timeout: 10_000, polling: 5 },
    );
    const [raw = NaN, badge = NaN, painted = NaN] = await seen.jsonValue() ??
      [];
    rawMs.push(raw - sent);
    badgeMs.push(badge - sent);
    paintedMs.push(painted - sent);
  }
  const raw = summarize(rawMs);
  const badge = summarize(badgeMs);
  const painted = summarize(paintedMs);
  const loadavg = Deno.loadavg();
  await report("badge_latency", {
    n: N,
    rawClientCallback: raw,
    badgeInDom: badge,
    badgePainted: painted,
    ratioP50: Math.round((badge.p50 / raw.p50) * 100) / 100,
    ratioP99: Math.round((badge.p99 / raw.p99) * 100) / 100,
    loadavg,
  });
} finally {
  await browser.close();
  await stack.close();
  await app.shutdown();
}
