const KEPT_LINES = 30;

/**
 * Drains a child's stdout and stderr (a full pipe would stall the child) and
 * keeps the last lines, which is what explains a failed start.
 */
export class ProcessLog {
  readonly #lines: string[] = [];
  /** Settles once both streams have ended. */
  readonly closed: Promise<void>;

  constructor(...streams: ReadableStream<Uint8Array>[]) {
    this.closed = Promise.all(streams.map((s) => this.#drain(s))).then(
      () => {},
    );
  }

  tail(): string {
    return this.#lines.join("\n");
  }

  async #drain(stream: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let pending = "";
    try {
      for await (const chunk of stream) {
        const text = decoder.decode(chunk, { stream: true });
        const lines = (pending + text).split("\n");
        pending = lines.pop() ?? "";
        for (const line of lines) this.#keep(line);
      }
    } catch {
      // A stream torn down with the process has nothing more to say.
    }
    if (pending !== "") this.#keep(pending);
  }

  #keep(line: string): void {
    if (line.trim() === "") return;
    this.#lines.push(line);
    if (this.#lines.length > KEPT_LINES) this.#lines.shift();
  }
}
