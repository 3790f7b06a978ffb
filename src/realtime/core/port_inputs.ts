import { AppError } from "../../errors.ts";
import {
  formatAudience,
  type PublishedEvent,
  type StreamRequest,
} from "../../ports/channels.ts";
import { MAX_TAG_LENGTH } from "./connection_tags.ts";
import { isPublishableEvent } from "./sse_encoding.ts";

/**
 * What both port implementations check before touching a shard: the
 * caller's mistakes become 400s here, not odd bytes on the wire.
 */

const MAX_KEY_LENGTH = 256;
/** Roles and topics one stream may hold (each is a tag or an attachment entry). */
const MAX_STREAM_AUDIENCES = 64;
// Audiences become socket tags with a transport prefix ("sse|").
const MAX_AUDIENCE_LENGTH = MAX_TAG_LENGTH - 4;

export interface EventInput {
  event: string;
  dataJson: string;
  key: string | null;
  ephemeral: boolean;
  sentAt: number;
  expiresAt: number | null;
}

/** A port-level event, checked and serialised once for the wire. */
export function publishInput(event: PublishedEvent): EventInput {
  if (!isPublishableEvent(event.event)) {
    throw new AppError(
      "bad_request",
      `Event name "${event.event}" is reserved or not a token`,
    );
  }
  if (event.key !== undefined && event.ephemeral) {
    throw new AppError("bad_request", "An ephemeral event takes no key");
  }
  if (
    event.key !== undefined &&
    (event.key === "" || event.key.length > MAX_KEY_LENGTH)
  ) {
    throw new AppError(
      "bad_request",
      `Idempotency key must be 1-${MAX_KEY_LENGTH} characters`,
    );
  }
  const sentAt = event.sentAt ?? 0;
  if (!Number.isSafeInteger(sentAt) || sentAt < 0) {
    throw new AppError(
      "bad_request",
      `sentAt must be a time in ms, got "${event.sentAt}"`,
    );
  }
  const expiresAt = event.expiresAt ?? null;
  if (
    expiresAt !== null && (!Number.isSafeInteger(expiresAt) || expiresAt < 0)
  ) {
    throw new AppError(
      "bad_request",
      `expiresAt must be a time in ms, got "${event.expiresAt}"`,
    );
  }
  return {
    sentAt,
    expiresAt,
    event: event.event,
    // undefined (or a function) serialises to nothing: send null instead.
    dataJson: JSON.stringify(event.data) ?? "null",
    key: event.key ?? null,
    ephemeral: event.ephemeral ?? false,
  };
}

/** An audience name (`formatAudience()`), checked to fit a socket tag. */
export function audienceOf(ref: Parameters<typeof formatAudience>[0]): string {
  const name = formatAudience(ref);
  if (name.length > MAX_AUDIENCE_LENGTH) {
    throw new AppError(
      "bad_request",
      `"${
        name.slice(0, 40)
      }…" is longer than ${MAX_AUDIENCE_LENGTH} characters`,
    );
  }
  return name;
}

/**
 * The distinct audiences of a stream, its own user first, and since when
 * it holds each (the same order): its own since 0, a role or topic since
 * its join (`req.joinedAt`). One the request names no join for is never
 * replayed: what Herald cannot vouch for is not sent.
 */
export function streamAudiences(
  req: StreamRequest,
): { audiences: string[]; since: number[] } {
  const own = audienceOf({ kind: "user", name: req.userId });
  const audiences = [
    ...new Set([
      own,
      ...req.roles.map((name) => audienceOf({ kind: "role", name })),
      ...req.topics.map((name) => audienceOf({ kind: "topic", name })),
    ]),
  ];
  if (audiences.length > MAX_STREAM_AUDIENCES + 1) {
    throw new AppError(
      "bad_request",
      `A stream may hold at most ${MAX_STREAM_AUDIENCES} roles and topics, got ${
        audiences.length - 1
      }`,
    );
  }
  if (!Number.isInteger(req.heartbeatMs) || req.heartbeatMs < 10) {
    throw new RangeError(
      `heartbeatMs must be an integer ≥ 10, got "${req.heartbeatMs}"`,
    );
  }
  const since = audiences.map((audience) =>
    audience === own
      ? 0
      : Math.max(0, req.joinedAt[audience] ?? Number.MAX_SAFE_INTEGER)
  );
  return { audiences, since };
}
