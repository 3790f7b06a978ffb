import { Hono } from "hono";
import { HERALD_CLIENT_JS } from "../client/herald_client.bundle.ts";
import { CONSOLE_HTML } from "../console/page.ts";
import type { HonoEnv } from "../http/env.ts";

/** The live console page and the browser client it (and apps) load. */
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
  });
