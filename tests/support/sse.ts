import { SseReader } from "./sse_reader.ts";

/** One SSE event as a client sees it. */
export interface SseEvent {
  id: string | null;
  event: string;
  data: string;
}

/**
 * An SSE connection for integration tests: `fetch` plus the project's one
 * test-side parser (`SseReader`), with the helpers these tests want.
 */
export class SseStream {
  readonly response: Response;
  readonly #reader: SseReader;

  private constructor(response: Response, body: ReadableStream<Uint8Array>) {
    this.response = response;
    this.#reader = new SseReader(body);
  }

  static async open(url: string, init: RequestInit = {}): Promise<SseStream> {
    const response = await fetch(url, init);
    if (!response.ok || !response.body) {
      const text = await response.text();
      throw new Error(`SSE open failed: ${response.status} ${text}`);
    }
    return new SseStream(response, response.body);
  }

  /** The next event, or an error after `timeoutMs` or at the stream's end. */
  async next(timeoutMs = 5_000): Promise<SseEvent> {
    const item = await this.#reader.nextEvent(timeoutMs);
    if (item === null) throw new Error("The SSE stream ended");
    return { id: item.id, event: item.event, data: item.data };
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

  close(): Promise<void> {
    return this.#reader.cancel();
  }
}
