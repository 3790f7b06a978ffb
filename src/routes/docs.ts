import { createRoute, z } from "@hono/zod-openapi";
import { Scalar } from "@scalar/hono-api-reference";
import { internalError, json, openApiRoutes } from "../http/openapi.ts";

/**
 * Where `/docs` loads Scalar's standalone bundle from: a static asset
 * (`deno task build` copies it from the `@scalar/api-reference` package),
 * served by Workers Static Assets outside the Worker bundle and by the Deno
 * entry from the same directory. No CDN: the page works offline.
 */
export const SCALAR_SCRIPT_PATH = "/docs/scalar.js";

const document = createRoute({
  method: "get",
  operationId: "openApiDocument",
  path: "/openapi.json",
  tags: ["Operations"],
  summary: "This document",
  description: "OpenAPI 3.1; `/docs` renders it.",
  security: [],
  responses: {
    200: json(
      z.record(z.string(), z.unknown()),
      "The OpenAPI document",
    ),
    ...internalError,
  },
});

/**
 * `GET /openapi.json` and `GET /docs`, the interactive reference page.
 * `describe` builds the document (once; the app's routes do not change).
 */
export function docsRoutes(describe: () => object) {
  let built: object | null = null;
  return openApiRoutes()
    .openapi(document, (c) => c.json(built ??= describe(), 200))
    .get(
      "/docs",
      Scalar((c) => {
        const nonce = crypto.randomUUID();
        c.header("Cache-Control", "no-store");
        c.header("X-Frame-Options", "DENY");
        // The page runs its own scripts (one nonced inline start-up script)
        // and may call this API, nothing else.
        c.header("Content-Security-Policy", docsPolicy(nonce));
        return {
          pageTitle: "Herald API",
          url: "/openapi.json",
          cdn: SCALAR_SCRIPT_PATH,
          nonce,
          // Nothing leaves the origin: no web fonts, telemetry, AI agent
          // or request proxy.
          withDefaultFonts: false,
          telemetry: false,
          agent: { disabled: true },
          mcp: { disabled: true },
          documentDownloadType: "json",
          hideClientButton: true,
          showDeveloperTools: "never",
        };
      }),
    );
}

function docsPolicy(nonce: string): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}'`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "worker-src 'self' blob:",
    "frame-ancestors 'none'",
  ].join("; ");
}
