/**
 * Herald's SSE bytes. Every event has the same layout:
 *
 *   event: <name>\n
 *   data: <json>\n
 *   id: <cursor>\n
 *   \n
 *
 * A shard encodes each event once for all its SSE connections (they share
 * the shard's cursor), and the Worker bridging a connection writes the
 * bytes as they came. Only LF is written, so `\n\n` always ends a frame.
 * The WebSocket form of the same events is in `ws_encoding.ts`.
 */

const encoder = new TextEncoder();

/** A comment line: ignored by EventSource, keeps proxies and NATs awake. */
export const HEARTBEAT: Uint8Array = encoder.encode(": hb\n\n");

/** Event names Herald writes itself; publishers may not use them. */
const RESERVED_EVENTS: ReadonlySet<string> = new Set([
  "connected",
  "reset",
  "message",
  "error",
  "open",
  "hb",
  "ping",
]);

const EVENT_NAME = /^[A-Za-z][A-Za-z0-9_.:-]{0,63}$/;

export function isPublishableEvent(name: string): boolean {
  return EVENT_NAME.test(name) && !RESERVED_EVENTS.has(name);
}

/**
 * `event:` and `data:` lines. `dataJson` from JSON.stringify has no raw line
 * breaks, but text from elsewhere may: each line becomes its own `data:`
 * line, which EventSource joins back with "\n".
 */
export function encodeBody(event: string, dataJson: string): string {
  if (!/^[^\r\n]*$/.test(event)) {
    throw new Error(`Event name ${JSON.stringify(event)} has a line break`);
  }
  let body = `event: ${event}\n`;
  for (const line of dataJson.split(/\r\n|\r|\n/)) body += `data: ${line}\n`;
  return body;
}

export function encodeFrame(body: string, cursor: string): string {
  return `${body}id: ${cursor}\n\n`;
}

export function encodeText(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Sent once, first: how long EventSource waits before reconnecting itself. */
export function retryBlock(retryMs: number): string {
  return `retry: ${Math.max(0, Math.round(retryMs))}\n\n`;
}

/** One whole SSE event. */
export function sseFrame(event: string, dataJson: string, id: string): string {
  return encodeFrame(encodeBody(event, dataJson), id);
}
