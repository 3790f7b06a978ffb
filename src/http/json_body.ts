import type { MiddlewareHandler } from "hono";
import { AppError } from "../errors.ts";
import { validationError } from "./validation.ts";
import { formatIssuePath } from "../domain/codecs/issue_path.ts";

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
 * Before any of that, a body nested past `MAX_JSON_DEPTH` is a 400 found by
 * one pass over the text. The body is read once: the validator after it
 * gets Hono's cached text.
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
  // Hono caches the text: the validator after this reads it again.
  const raw = await c.req.text();
  if (nestingExceeds(raw, MAX_JSON_DEPTH)) {
    throw new AppError(
      "bad_request",
      `JSON in request body is nested deeper than ${MAX_JSON_DEPTH} levels`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(raw);
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

/**
 * Levels of objects and arrays a body may nest. The deepest body Herald
 * reads (a type's templates, a notification's `data`) needs well under 10;
 * past this, parsing, validating and walking cost CPU anyone could spend,
 * and a few thousand levels overflow the stack.
 */
const MAX_JSON_DEPTH = 64;

/**
 * True when `raw` opens more than `limit` brackets at once, counting only
 * brackets outside strings. One pass over the text, before any parsing, so
 * a hostile body costs what reading it costs. Malformed text is left for
 * JSON.parse to refuse.
 */
export function nestingExceeds(raw: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < raw.length; i++) {
    const ch = raw.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c) i++; // a backslash: the next character is escaped
      else if (ch === 0x22) inString = false;
    } else if (ch === 0x22) inString = true;
    else if (ch === 0x7b || ch === 0x5b) {
      if (++depth > limit) return true;
    } else if (ch === 0x7d || ch === 0x5d) depth--;
  }
  return false;
}

/**
 * The path of the first `__proto__` key anywhere in `value`, or null:
 * depth first, with a stack of its own rather than the call stack.
 */
function protoKeyPath(value: unknown): PropertyKey[] | null {
  const pending: { value: unknown; path: PropertyKey[] }[] = [
    { value, path: [] },
  ];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const { value, path } = next;
    if (typeof value !== "object" || value === null) continue;
    const keys: PropertyKey[] = Array.isArray(value)
      ? value.map((_, i) => i)
      : Object.keys(value);
    if (keys.includes("__proto__")) return [...path, "__proto__"];
    // Reversed, so the first key is walked first.
    for (let k = keys.length - 1; k >= 0; k--) {
      const key = keys[k]!;
      pending.push({ value: Reflect.get(value, key), path: [...path, key] });
    }
  }
  return null;
}
