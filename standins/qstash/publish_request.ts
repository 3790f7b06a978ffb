import { badRequest } from "./api_error.ts";
import { bytesToBase64 } from "./body_encoding.ts";
import {
  type DeliveryOptions,
  parseUrl,
  readDeliveryOptions,
} from "./delivery_options.ts";
import { parseDurationMs } from "./duration.ts";

/**
 * One publish (`POST /v2/publish/{destination}` or a batch item) read into
 * what the queue stores: where, how, when, and under which deduplication key.
 */
export interface PublishDraft extends DeliveryOptions {
  url: string;
  bodyBase64: string;
  callerIp: string;
  /** Earliest delivery (ms, virtual clock). */
  notBefore: number;
  /** Set when the publisher asked for deduplication. */
  dedupKey?: string;
}

export interface PublishInput {
  destination: string;
  headers: Headers;
  body: Uint8Array;
  callerIp: string;
  nowMs: number;
}

export async function readPublishRequest(
  input: PublishInput,
): Promise<PublishDraft> {
  const url = parseUrl(input.destination, "destination");
  const options = readDeliveryOptions(input.headers);
  const bodyBase64 = bytesToBase64(input.body);
  const draft: PublishDraft = {
    ...options,
    url,
    bodyBase64,
    callerIp: input.callerIp,
    notBefore: readNotBefore(input.headers, input.nowMs),
  };
  const dedupId = input.headers.get("Upstash-Deduplication-Id");
  if (dedupId !== null && dedupId !== "") draft.dedupKey = `id:${dedupId}`;
  else if (
    input.headers.get("Upstash-Content-Based-Deduplication")?.toLowerCase() ===
      "true"
  ) {
    draft.dedupKey = `content:${await contentHash(
      url,
      input.headers,
      bodyBase64,
    )}`;
  }
  return draft;
}

/** `Upstash-Not-Before` (unix seconds) wins over `Upstash-Delay`. */
function readNotBefore(headers: Headers, nowMs: number): number {
  const notBefore = headers.get("Upstash-Not-Before");
  if (notBefore !== null) {
    if (!/^\d+$/.test(notBefore.trim())) {
      throw badRequest(`invalid Upstash-Not-Before "${notBefore}"`);
    }
    return Number(notBefore) * 1_000;
  }
  const delay = headers.get("Upstash-Delay");
  if (delay === null) return nowMs;
  const delayMs = parseDurationMs(delay);
  if (delayMs === undefined) {
    throw badRequest(`invalid Upstash-Delay "${delay}"`);
  }
  return nowMs + delayMs;
}

/**
 * QStash hashes the destination, the body and the headers. Only the headers
 * that shape the message count here (Content-Type and `Upstash-*` except the
 * SDK's telemetry), so a different User-Agent or token does not defeat it.
 */
async function contentHash(
  url: string,
  headers: Headers,
  bodyBase64: string,
): Promise<string> {
  const relevant: string[] = [];
  headers.forEach((value, name) => {
    const lower = name.toLowerCase();
    if (
      lower === "content-type" ||
      (lower.startsWith("upstash-") && !lower.startsWith("upstash-telemetry-"))
    ) relevant.push(`${lower}:${value}`);
  });
  relevant.sort();
  const digest = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(JSON.stringify([url, relevant, bodyBase64])),
  );
  return Array.from(
    new Uint8Array(digest),
    (b) => b.toString(16).padStart(2, "0"),
  )
    .join("");
}
