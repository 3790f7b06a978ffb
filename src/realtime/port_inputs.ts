import { AppError } from "../errors.ts";
import {
  channelName,
  type PublishedEvent,
  type StreamRequest,
} from "../ports/channels.ts";
import type { PublishInput } from "./channel.ts";
import { MAX_CURSOR_PARTS } from "./cursor.ts";
import { isPublishableEvent } from "./sse_encoding.ts";

/**
 * What both port implementations check before touching a channel: the
 * caller's mistakes become 400s here, not odd bytes on the wire.
 */

const MAX_KEY_LENGTH = 256;

/** A port-level event, checked and serialised once for the wire. */
export function publishInput(event: PublishedEvent): PublishInput {
  if (!isPublishableEvent(event.event)) {
    throw new AppError(
      "bad_request",
      `Event name "${event.event}" is reserved or not a token`,
    );
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
  return {
    event: event.event,
    // undefined (or a function) serialises to nothing: send null instead.
    dataJson: JSON.stringify(event.data) ?? "null",
    key: event.key ?? null,
  };
}

/**
 * The distinct channel names of a stream request, in order, after checking
 * what the port cannot fix for the caller.
 */
export function streamChannels(req: StreamRequest): string[] {
  const names = [...new Set(req.channels.map(channelName))];
  if (names.length === 0) {
    throw new AppError("bad_request", "A stream needs at least one channel");
  }
  if (names.length > MAX_CURSOR_PARTS) {
    throw new AppError(
      "bad_request",
      `A stream may merge at most ${MAX_CURSOR_PARTS} channels, got ${names.length}`,
    );
  }
  if (!Number.isInteger(req.heartbeatMs) || req.heartbeatMs < 10) {
    throw new RangeError(
      `heartbeatMs must be an integer ≥ 10, got "${req.heartbeatMs}"`,
    );
  }
  return names;
}
