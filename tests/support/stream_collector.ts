/**
 * A healthy reader for in-memory streams in unit tests: reads
 * continuously in the background and keeps everything it got as text.
 */
export interface Collected {
  /** Everything read so far. */
  text(): string;
  /** `id:` values of the events read so far, in order. */
  ids(): string[];
  /** The `data:` of the events named `event`, parsed as JSON. */
  data(event: string): unknown[];
  /** Resolves when the stream ends: "closed", or "errored" with a reason. */
  readonly ended: Promise<"closed" | "errored">;
  cancel(): Promise<void>;
}

export function collect(stream: ReadableStream<Uint8Array>): Collected {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let text = "";
  const ended = (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return "closed" as const;
        text += decoder.decode(value, { stream: true });
      }
    } catch {
      return "errored" as const;
    }
  })();
  const frames = () =>
    text.split("\n\n").filter((f) => f.includes("\nid: ")).map((f) => {
      const lines = f.split("\n");
      const field = (name: string) =>
        lines.find((l) => l.startsWith(`${name}: `))?.slice(name.length + 2);
      return { event: field("event"), data: field("data"), id: field("id") };
    });
  return {
    text: () => text,
    ids: () => frames().map((f) => f.id ?? ""),
    data: (event) =>
      frames().filter((f) => f.event === event).map((f) =>
        JSON.parse(f.data ?? "null")
      ),
    ended,
    cancel: async () => {
      await reader.cancel();
      await ended;
    },
  };
}
