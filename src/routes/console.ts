import { Hono } from "hono";
import { HERALD_CLIENT_JS } from "../client/herald_client.bundle.ts";
import { HERALD_INBOX_JS } from "../client/herald_inbox.bundle.ts";
import { HERALD_SW_JS } from "../client/herald_sw.bundle.ts";
import { CONSOLE_HTML } from "../console/page.ts";
import type { HonoEnv } from "../http/env.ts";

/**
 * The live console page, the browser client it (and apps) load,
 * `<herald-inbox>` for apps' pages, and the service worker that shows
 * Herald's Web Push notifications.
 */
export const consoleRoutes = new Hono<HonoEnv>()
  .get("/console", (c) => {
    c.header("Cache-Control", "no-store");
    // The page has no secrets of its own; this keeps it from being framed
    // and from loading anything but itself.
    c.header("X-Frame-Options", "DENY");
    c.header(
      "Content-Security-Policy",
      "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'",
    );
    return c.html(CONSOLE_HTML);
  })
  .get("/console/herald-client.js", (c) => {
    c.header("Content-Type", "text/javascript; charset=utf-8");
    c.header("Cache-Control", "public, max-age=300");
    return c.body(HERALD_CLIENT_JS);
  })
  // An ES module loaded from the app's own origin is fetched with CORS:
  // it is public code with no credentials, so any origin may load it.
  .get("/client/herald-inbox.js", (c) => {
    c.header("Content-Type", "text/javascript; charset=utf-8");
    c.header("Cache-Control", "public, max-age=300");
    c.header("Access-Control-Allow-Origin", "*");
    return c.body(HERALD_INBOX_JS);
  })
  .get("/client/herald-sw.js", (c) => {
    c.header("Content-Type", "text/javascript; charset=utf-8");
    // Update checks fetch a registered worker past the HTTP cache; this
    // bounds how long a worker that importScripts() it keeps an old copy.
    c.header("Cache-Control", "public, max-age=300");
    return c.body(HERALD_SW_JS);
  });
