import type { Browser } from "playwright-core";
import { launchChromium } from "./chromium.ts";
import { startTestStack, type TestStack } from "./test_stack.ts";

/**
 * The host app's own origin for browser tests: pages served on
 * `localhost` while Herald is on 127.0.0.1 — another origin, and still a
 * secure context (Web Locks need one) — with Herald's CORS_ORIGINS naming
 * it. `serve(path, body)` sets what a path answers.
 */
export interface AppOrigin {
  origin: string;
  serve(path: string, body: string, type?: string): void;
}

export interface AppWorld {
  app: AppOrigin;
  stack: TestStack;
  browser: Browser;
}

/** Runs `work` with an app origin, a stack that allows it, and Chromium. */
export async function withAppOrigin(
  work: (world: AppWorld) => Promise<void>,
): Promise<void> {
  const pages = new Map<string, { body: string; type: string }>();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (req) => {
      const page = pages.get(new URL(req.url).pathname);
      return page
        ? new Response(page.body, { headers: { "content-type": page.type } })
        : new Response("Not found", { status: 404 });
    },
  );
  const app: AppOrigin = {
    origin: `http://localhost:${server.addr.port}`,
    serve(path, body, type = "text/html") {
      pages.set(path, { body, type });
    },
  };
  let stack: TestStack | null = null;
  let browser: Browser | null = null;
  try {
    stack = await startTestStack({ vars: { CORS_ORIGINS: app.origin } });
    browser = await launchChromium();
    await work({ app, stack, browser });
  } finally {
    await browser?.close();
    await stack?.close();
    await server.shutdown();
  }
}
