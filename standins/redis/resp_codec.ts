/**
 * RESP2, the wire protocol of redis-server, kept binary-safe: bulk strings stay
 * bytes so the REST layer can base64 them exactly as Redis stored them.
 */

export type RespValue =
  | { kind: "simple"; value: string }
  | { kind: "error"; message: string }
  | { kind: "integer"; value: number }
  | { kind: "bulk"; value: Uint8Array }
  | { kind: "nil" }
  | { kind: "array"; items: RespValue[] };

const CR = 13;
const LF = 10;
const utf8 = new TextEncoder();
const text = new TextDecoder();

/** Encodes one command as a RESP array of bulk strings. */
export function encodeCommand(args: readonly string[]): Uint8Array {
  const parts: Uint8Array[] = [utf8.encode(`*${args.length}\r\n`)];
  for (const arg of args) {
    const bytes = utf8.encode(arg);
    parts.push(utf8.encode(`$${bytes.length}\r\n`), bytes, utf8.encode("\r\n"));
  }
  return concatBytes(parts);
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

class RespProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RespProtocolError";
  }
}

/**
 * Incremental reply parser: feed it whatever the socket delivered, take out
 * complete replies. A reply cut in half is re-parsed from its start once more
 * bytes arrive, which keeps the parser stateless between chunks; the buffer
 * grows by doubling so a large value is not copied once per chunk.
 */
export class RespParser {
  #bytes = new Uint8Array(64 * 1024);
  #start = 0;
  #end = 0;

  push(chunk: Uint8Array): void {
    const live = this.#end - this.#start;
    if (this.#end + chunk.length > this.#bytes.length) {
      const needed = live + chunk.length;
      const target = needed > this.#bytes.length
        ? new Uint8Array(Math.max(needed, this.#bytes.length * 2))
        : this.#bytes;
      target.set(this.#bytes.subarray(this.#start, this.#end), 0);
      this.#bytes = target;
      this.#start = 0;
      this.#end = live;
    }
    this.#bytes.set(chunk, this.#end);
    this.#end += chunk.length;
  }

  /** The next complete reply, or undefined when more bytes are needed. */
  next(): RespValue | undefined {
    const parsed = parseAt(this.#bytes.subarray(this.#start, this.#end), 0);
    if (parsed === undefined) return undefined;
    this.#start += parsed.end;
    if (this.#start === this.#end) this.#start = this.#end = 0;
    return parsed.value;
  }
}

type Parsed = { value: RespValue; end: number } | undefined;

function parseAt(buf: Uint8Array, start: number): Parsed {
  const lineEnd = findLineEnd(buf, start);
  if (lineEnd === -1) return undefined;
  const type = buf[start];
  const line = text.decode(buf.subarray(start + 1, lineEnd));
  const afterLine = lineEnd + 2;
  switch (type) {
    case 0x2b: // '+'
      return { value: { kind: "simple", value: line }, end: afterLine };
    case 0x2d: // '-'
      return { value: { kind: "error", message: line }, end: afterLine };
    case 0x3a: // ':'
      return {
        value: { kind: "integer", value: parseLength(line) },
        end: afterLine,
      };
    case 0x24: // '$'
      return parseBulk(buf, parseLength(line), afterLine);
    case 0x2a: // '*'
      return parseArray(buf, parseLength(line), afterLine);
    default:
      throw new RespProtocolError(
        `Unexpected RESP type byte ${String(type)} in reply`,
      );
  }
}

function parseBulk(buf: Uint8Array, length: number, start: number): Parsed {
  if (length < 0) return { value: { kind: "nil" }, end: start };
  const end = start + length;
  if (buf.length < end + 2) return undefined;
  // slice, not subarray: the reply must outlive the parser's buffer.
  return {
    value: { kind: "bulk", value: buf.slice(start, end) },
    end: end + 2,
  };
}

function parseArray(buf: Uint8Array, count: number, start: number): Parsed {
  if (count < 0) return { value: { kind: "nil" }, end: start };
  const items: RespValue[] = [];
  let offset = start;
  for (let i = 0; i < count; i++) {
    const item = parseAt(buf, offset);
    if (item === undefined) return undefined;
    items.push(item.value);
    offset = item.end;
  }
  return { value: { kind: "array", items }, end: offset };
}

function findLineEnd(buf: Uint8Array, start: number): number {
  for (let i = start; i + 1 < buf.length; i++) {
    if (buf[i] === CR && buf[i + 1] === LF) return i;
  }
  return -1;
}

function parseLength(line: string): number {
  const n = Number(line);
  if (!Number.isInteger(n)) {
    throw new RespProtocolError(`Malformed RESP number "${line}"`);
  }
  return n;
}
