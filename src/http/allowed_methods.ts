import type { Context } from "hono";
import { TrieRouter } from "hono/router/trie-router";
import type { HonoEnv } from "./env.ts";
import { errorBody } from "./errors.ts";

/** Hono's name for middleware (`use`): it serves no method of its own. */
const MIDDLEWARE = "ALL";

/** The order `Allow` lists methods in. */
const ORDER = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

/**
 * The methods each path is served with, read from the app's own routes so
 * it cannot drift from them. HEAD goes with GET, as Hono answers a HEAD
 * with the GET handler (without the body); OPTIONS only where something
 * answers it (the CORS middleware adds it: http/cors.ts).
 */
export function allowedMethods(
  routes: readonly { method: string; path: string }[],
): (path: string) => string[] {
  // A router of its own, matching paths as the app's does, whose "handler"
  // is the method each route serves.
  const router = new TrieRouter<string>();
  for (const route of routes) {
    if (route.method !== MIDDLEWARE) {
      router.add(MIDDLEWARE, route.path, route.method);
    }
  }
  return (path) => {
    const methods = new Set(router.match("GET", path)[0].map(([m]) => m));
    if (methods.has("GET")) methods.add("HEAD");
    return ORDER.filter((m) => methods.has(m));
  };
}

/**
 * The answer to a request no route matched: 405 with `Allow` when its path
 * is served with other methods, else 404. Both in the error envelope.
 */
export function unmatchedRequest(
  routes: readonly { method: string; path: string }[],
) {
  const allowedFor = allowedMethods(routes);
  return (c: Context<HonoEnv>): Response => {
    const requestId = c.get("requestId");
    const allowed = allowedFor(c.req.path);
    if (!allowed.length) {
      return c.json(errorBody("not_found", "No such route", requestId), 404);
    }
    c.header("Allow", allowed.join(", "));
    return c.json(
      errorBody(
        "method_not_allowed",
        `${c.req.method} is not served at this path; it serves ` +
          allowed.join(", "),
        requestId,
      ),
      405,
    );
  };
}
