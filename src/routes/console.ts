import { type Context, Hono } from "hono";
import { HERALD_CLIENT_JS } from "../client/herald_client.bundle.ts";
import { HERALD_INBOX_JS } from "../client/herald_inbox.bundle.ts";
import { HERALD_SW_JS } from "../client/herald_sw.bundle.ts";
import { CONSOLE_JS } from "../console/console.bundle.ts";
import { LIVE_HTML } from "../console/live_page.ts";
import { SHELL_HTML } from "../console/shell.ts";
import type { HonoEnv } from "../http/env.ts";

/**
 * The pages have no secrets of their own (the admin key stays in the
 * tab's sessionStorage); these headers keep them from being framed and
 * from loading anything but Herald.
 */
function page(c: Context<HonoEnv>, html: string) {
  c.header("Cache-Control", "no-store");
  c.header("X-Frame-Options", "DENY");
  c.header(
    "Content-Security-Policy",
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'",
  );
  return c.html(html);
}

// Update checks fetch a registered service worker past the HTTP cache;
// this also bounds how long one that importScripts() it keeps an old copy.
function script(c: Context<HonoEnv>, js: string) {
  c.header("Content-Type", "text/javascript; charset=utf-8");
  c.header("Cache-Control", "public, max-age=300");
  return c.body(js);
}

/**
 * The operator console (`/console`, its script), the Live page (connect as
 * a user, send a test), the browser client they and apps load,
 * `<herald-inbox>` for apps' pages, and the service worker that shows
 * Herald's Web Push notifications.
 */
export const consoleRoutes = new Hono<HonoEnv>()
  .get("/console", (c) => page(c, SHELL_HTML))
  .get("/console/app.js", (c) => script(c, CONSOLE_JS))
  .get("/console/live", (c) => page(c, LIVE_HTML))
  .get("/console/herald-client.js", (c) => script(c, HERALD_CLIENT_JS))
  // An ES module loaded from the app's own origin is fetched with CORS:
  // it is public code with no credentials, so any origin may load it.
  .get("/client/herald-inbox.js", (c) => {
    c.header("Access-Control-Allow-Origin", "*");
    return script(c, HERALD_INBOX_JS);
  })
  .get("/client/herald-sw.js", (c) => script(c, HERALD_SW_JS));
