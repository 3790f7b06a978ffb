import type { MiddlewareHandler } from "hono";
import { AppError } from "../errors.ts";

/**
 * How much of a body over the limit is still read, and dropped, before the
 * 413 goes out. A body refused unread makes the runtime close the
 * connection while the client is still sending, and the client then sees a
 * reset instead of the answer; past this much, a reset is the cheaper end.
 */
const DRAIN_BYTES = 1024 * 1024;

/**
 * Refuses a request body over `maxBytes` with a 413 (`payload_too_large`),
 * whether it says its length or comes chunked. Within the limit the body is
 * buffered, so the handlers after this read it as usual. Over it, the rest
 * is read and dropped (up to `DRAIN_BYTES`) first, so the 413 reaches the
 * client — the race `jsonOnly` avoids for 415.
 */
export function bodyLimit(maxBytes: number): MiddlewareHandler {
  const refuse = () =>
    new AppError(
      "payload_too_large",
      `Request body exceeds ${maxBytes} bytes`,
    );
  return async (c, next) => {
    const body = c.req.raw.body;
    if (!body) return await next();
    const declared = Number(c.req.raw.headers.get("content-length") ?? NaN);
    const chunked = c.req.raw.headers.has("transfer-encoding");
    if (!chunked && Number.isFinite(declared)) {
      if (declared <= maxBytes) return await next();
      await drain(body.getReader(), 0);
      throw refuse();
    }
    const reader = body.getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.length;
      if (size > maxBytes) {
        await drain(reader, size);
        throw refuse();
      }
      chunks.push(value);
    }
    const whole = new Uint8Array(size);
    let offset = 0;
    for (const chunk of chunks) {
      whole.set(chunk, offset);
      offset += chunk.length;
    }
    c.req.raw = new Request(c.req.raw, { body: whole });
    await next();
  };
}

/** Reads and drops the rest of a body, until it ends or `DRAIN_BYTES`. */
async function drain(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  alreadyRead: number,
): Promise<void> {
  let read = alreadyRead;
  try {
    while (read <= DRAIN_BYTES) {
      const { done, value } = await reader.read();
      if (done) return;
      read += value.length;
    }
    await reader.cancel();
  } catch {
    // A client that went away has nothing left to read.
  }
}
