/**
 * A test-side SSE reader over a fetch Response, written from the WHATWG
 * "event stream interpretation" rules and sharing no code with Herald's
 * encoder, so a wire-format mistake on either side shows up. Unlike
 * EventSource it also reports comments and `retry:`, and whether each
 * event carried its own `id:` field.
 */
export type SseItem =
  | { type: "event"; event: string; data: string; id: string | null }
  | { type: "comment"; text: string }
  | { type: "retry"; ms: number };

export class SseReader {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #decoder = new TextDecoder();
  readonly #items: SseItem[] = [];
  #buffer = "";
  #event = "";
  #data: string[] = [];
  #id: string | null = null;
  #done = false;
  /** A read that outlived a timeout: the next pull must take its result. */
  #reading: Promise<ReadableStreamReadResult<Uint8Array>> | null = null;
  /** Chunks received so far (the first one proves nothing was held back). */
  chunks: string[] = [];

  constructor(body: ReadableStream<Uint8Array>) {
    this.#reader = body.getReader();
  }

  /** The next item, or null once the stream has ended. */
  async next(timeoutMs = 5000): Promise<SseItem | null> {
    while (this.#items.length === 0) {
      if (this.#done) return null;
      await this.#pull(timeoutMs);
    }
    return this.#items.shift() ?? null;
  }

  /** The next event, skipping comments and retry. */
  async nextEvent(timeoutMs = 5000) {
    for (;;) {
      const item = await this.next(timeoutMs);
      if (item === null) return null;
      if (item.type === "event") return item;
    }
  }

  /** Resolves true when nothing but comments arrives within `ms`. */
  async quiet(ms: number): Promise<boolean> {
    const until = Date.now() + ms;
    for (;;) {
      const left = until - Date.now();
      if (left <= 0) return true;
      try {
        const item = await this.next(left);
        if (item === null) return true;
        if (item.type === "event") {
          this.#items.unshift(item);
          return false;
        }
      } catch (error) {
        if (error instanceof ReadTimeout) return true;
        throw error;
      }
    }
  }

  async cancel(): Promise<void> {
    this.#done = true;
    await this.#reader.cancel().catch(() => {});
  }

  async #pull(timeoutMs: number): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ReadTimeout(timeoutMs)), timeoutMs);
    });
    try {
      this.#reading ??= this.#reader.read();
      const { done, value } = await Promise.race([this.#reading, timeout]);
      this.#reading = null;
      if (done) {
        this.#done = true;
        return;
      }
      const text = this.#decoder.decode(value, { stream: true });
      this.chunks.push(text);
      this.#feed(text);
    } finally {
      clearTimeout(timer);
    }
  }

  #feed(text: string): void {
    this.#buffer += text;
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.#buffer);
      // A lone CR at the end may be the first half of CRLF: wait.
      if (
        !match || (match[0] === "\r" && match.index === this.#buffer.length - 1)
      ) {
        return;
      }
      const line = this.#buffer.slice(0, match.index);
      this.#buffer = this.#buffer.slice(match.index + match[0].length);
      this.#line(line);
    }
  }

  #line(line: string): void {
    if (line === "") {
      if (this.#data.length > 0) {
        this.#items.push({
          type: "event",
          event: this.#event || "message",
          data: this.#data.join("\n"),
          id: this.#id,
        });
      }
      this.#event = "";
      this.#data = [];
      this.#id = null;
      return;
    }
    if (line.startsWith(":")) {
      this.#items.push({ type: "comment", text: line.slice(1).trim() });
      return;
    }
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") this.#event = value;
    else if (field === "data") this.#data.push(value);
    else if (field === "id" && !value.includes("\0")) this.#id = value;
    else if (field === "retry" && /^\d+$/.test(value)) {
      this.#items.push({ type: "retry", ms: Number(value) });
    }
  }
}

export class ReadTimeout extends Error {
  override name = "ReadTimeout";
  constructor(ms: number) {
    super(`No SSE data within ${ms} ms`);
  }
}
