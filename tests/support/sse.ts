/** One parsed SSE event (comments and `retry:` are kept apart). */
export interface SseEvent {
  id: string | undefined;
  event: string;
  data: string;
}

/**
 * A minimal SSE client over fetch for tests: it parses the wire format
 * itself, so tests see exactly what a browser would (ids, retry, comments).
 */
export class SseStream {
  readonly response: Response;
  readonly comments: string[] = [];
  retry: number | undefined;
  #reader: ReadableStreamDefaultReader<string>;
  #buffer = "";
  #queue: SseEvent[] = [];
  #closed = false;

  private constructor(response: Response) {
    this.response = response;
    this.#reader = response.body!.pipeThrough(new TextDecoderStream())
      .getReader();
  }

  static async open(url: string, init: RequestInit = {}): Promise<SseStream> {
    const response = await fetch(url, init);
    if (!response.ok || !response.body) {
      const text = await response.text();
      throw new Error(`SSE open failed: ${response.status} ${text}`);
    }
    return new SseStream(response);
  }

  /** The next event, or an error after `timeoutMs`. */
  async next(timeoutMs = 5_000): Promise<SseEvent> {
    const deadline = Date.now() + timeoutMs;
    while (this.#queue.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0 || this.#closed) {
        throw new Error(`No SSE event within ${timeoutMs} ms`);
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      const chunk = await Promise.race([
        this.#reader.read(),
        new Promise<null>((r) => timer = setTimeout(() => r(null), left)),
      ]);
      clearTimeout(timer);
      if (chunk === null) continue;
      if (chunk.done) {
        this.#closed = true;
        continue;
      }
      this.#feed(chunk.value);
    }
    return this.#queue.shift()!;
  }

  /** Events until one named `event` arrives (that one included). */
  async until(event: string, timeoutMs = 5_000): Promise<SseEvent[]> {
    const seen: SseEvent[] = [];
    for (;;) {
      const e = await this.next(timeoutMs);
      seen.push(e);
      if (e.event === event) return seen;
    }
  }

  /** Events that arrive within `ms` (for asserting that nothing more comes). */
  async drain(ms: number): Promise<SseEvent[]> {
    const out: SseEvent[] = [];
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      try {
        out.push(await this.next(Math.max(1, deadline - Date.now())));
      } catch {
        break;
      }
    }
    return out;
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#reader.cancel().catch(() => {});
  }

  #feed(text: string) {
    this.#buffer += text;
    for (;;) {
      const end = this.#buffer.search(/\r?\n\r?\n/);
      if (end < 0) return;
      const block = this.#buffer.slice(0, end);
      this.#buffer = this.#buffer.slice(end).replace(/^\r?\n\r?\n/, "");
      this.#parseBlock(block);
    }
  }

  #parseBlock(block: string) {
    let id: string | undefined;
    let event = "message";
    const data: string[] = [];
    let hasField = false;
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith(":")) {
        this.comments.push(line.slice(1).trim());
        continue;
      }
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "retry") this.retry = Number(value);
      else if (field === "id") (id = value, hasField = true);
      else if (field === "event") (event = value, hasField = true);
      else if (field === "data") (data.push(value), hasField = true);
    }
    if (hasField) this.#queue.push({ id, event, data: data.join("\n") });
  }
}
