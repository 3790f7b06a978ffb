import type { MiddlewareHandler } from "hono";
import { AppError } from "../errors.ts";
import { formatIssuePath, validationError } from "./validation.ts";

/** The JSON in a raw body, or null when it is not JSON at all. */
export function jsonOrNull(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return null;
  }
}

const JSON_TYPE = /^application\/([a-z0-9.+-]+\+)?json\s*(;|$)/i;

/**
 * Runs before the validator of every route that takes a JSON body. Hono's
 * own would read a body sent as text/plain, a form or with no Content-Type
 * at all as `{}` — and a PATCH of nothing is a no-op that answers 200 — so a
 * body that is not declared JSON is refused with 415 saying what to send.
 * JSON that does not parse is a 400, and so is any `__proto__` key: zod
 * skips such keys silently, so they would otherwise be dropped, not refused.
 * The body is read once: the validator after it gets Hono's cached text.
 */
export const jsonOnly: MiddlewareHandler = async (c, next) => {
  const type = c.req.header("content-type");
  if (!type || !JSON_TYPE.test(type)) {
    // Read to its end (at most the body limit) before refusing: a body left
    // unread makes the server close the connection, which races a client
    // already sending its next request on it.
    await c.req.arrayBuffer().catch(() => null);
    throw new AppError(
      "unsupported_media_type",
      `Send the body as JSON with "Content-Type: application/json"${
        type ? ` (got "${type}")` : " (none was sent)"
      }`,
    );
  }
  let value: unknown;
  try {
    value = await c.req.json();
  } catch {
    throw new AppError("bad_request", "Malformed JSON in request body");
  }
  const proto = protoKeyPath(value);
  if (proto !== null) {
    throw validationError([{
      path: proto,
      message: `Unknown field "${formatIssuePath(proto)}"`,
    }]);
  }
  await next();
};

/** The path of the first `__proto__` key anywhere in `value`, or null. */
function protoKeyPath(
  value: unknown,
  path: PropertyKey[] = [],
): PropertyKey[] | null {
  if (typeof value !== "object" || value === null) return null;
  const keys: PropertyKey[] = Array.isArray(value)
    ? value.map((_, i) => i)
    : Object.keys(value);
  for (const key of keys) {
    if (key === "__proto__") return [...path, key];
    const found = protoKeyPath(Reflect.get(value, key), [...path, key]);
    if (found !== null) return found;
  }
  return null;
}
