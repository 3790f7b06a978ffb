import type { RespValue } from "./resp_codec.ts";

/** What a Redis reply becomes in an Upstash REST body. */
export type RestResult = string | number | null | RestResult[];
export type RestItem = { result: RestResult } | { error: string };

const utf8 = new TextEncoder();
const text = new TextDecoder();

/**
 * Converts a reply the way Upstash does. With `Upstash-Encoding: base64` every
 * string is base64 of its exact bytes, except a top-level "OK" status, which
 * @upstash/redis passes through untouched. Nested strings are always encoded
 * because the client decodes every string inside an array, "OK" included.
 */
export function toRestItem(reply: RespValue, base64: boolean): RestItem {
  if (reply.kind === "error") return { error: reply.message };
  if (base64 && reply.kind === "simple" && reply.value === "OK") {
    return { result: "OK" };
  }
  return { result: toRestResult(reply, base64) };
}

function toRestResult(reply: RespValue, base64: boolean): RestResult {
  switch (reply.kind) {
    case "integer":
      return reply.value;
    case "nil":
      return null;
    case "array":
      return reply.items.map((item) => toRestResult(item, base64));
    case "bulk":
      return base64 ? reply.value.toBase64() : text.decode(reply.value);
    case "simple":
      return base64 ? utf8.encode(reply.value).toBase64() : reply.value;
    case "error":
      // Only scripts can nest an error in an array; keep its text.
      return base64 ? utf8.encode(reply.message).toBase64() : reply.message;
  }
}
