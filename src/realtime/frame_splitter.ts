/**
 * Cuts a channel's byte stream into frames and reads their ids. Only for
 * bytes a Herald channel wrote (`sse_encoding.ts`): LF line ends, the id as
 * the last line of every event. Not a general SSE parser.
 */

const LF = 10;
const decoder = new TextDecoder();

export type Frame =
  /** An event: `body` (its lines before `id:`) and the id's value. */
  | { kind: "event"; body: Uint8Array; id: string }
  /** A comment (heartbeat) or the `retry:` block: the merge drops these. */
  | { kind: "other" };

export class FrameSplitter {
  #pending: Uint8Array = new Uint8Array(0);

  /** Complete frames (each up to and including its blank line) in `chunk`. */
  push(chunk: Uint8Array): Frame[] {
    const bytes = this.#pending.length === 0
      ? chunk
      : concat(this.#pending, chunk);
    // A "\n\n" straddling the chunk border starts one byte before it.
    let scan = Math.max(0, this.#pending.length - 1);
    const frames: Frame[] = [];
    let start = 0;
    for (;;) {
      const lf = bytes.indexOf(LF, scan);
      if (lf === -1 || lf + 1 >= bytes.length) break;
      if (bytes[lf + 1] !== LF) {
        scan = lf + 1;
        continue;
      }
      frames.push(readFrame(bytes.subarray(start, lf + 2)));
      start = lf + 2;
      scan = start;
    }
    // A copy: the few trailing bytes must not pin the whole chunk.
    this.#pending = bytes.slice(start);
    return frames;
  }
}

function readFrame(frame: Uint8Array): Frame {
  // frame = ...\n<last line>\n\n; the last line starts after the LF before it.
  const end = frame.length - 2;
  if (end < 1) return { kind: "other" };
  const lineStart = frame.lastIndexOf(LF, end - 1) + 1;
  const line = decoder.decode(frame.subarray(lineStart, end));
  if (!line.startsWith("id: ") || lineStart === 0) return { kind: "other" };
  return {
    kind: "event",
    body: frame.subarray(0, lineStart),
    id: line.slice(4),
  };
}

/** One buffer holding `parts` in order (a single copy, however many). */
export function concat(...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
