import type { z } from "zod";

/** Resolves when the parent closes this process's stdin: its signal to stop. */
export async function untilStdinCloses(): Promise<void> {
  for await (const _ of Deno.stdin.readable) {
    // Nothing to read: only the end matters.
  }
}

export interface Child<T> {
  /** What the child printed as its one JSON line. */
  info: T;
  pid: number;
  /** Closes its stdin and waits for it to exit. */
  stop(): Promise<void>;
}

/**
 * Starts `deno run -A <script> ...args` and waits for the first stdout line
 * that parses as `schema`; the rest of its output is drained, so the child
 * never blocks on a full pipe.
 */
export async function startChild<T>(
  script: string,
  args: string[],
  schema: z.ZodType<T>,
): Promise<Child<T>> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", script, ...args],
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let info: T | undefined;
  while (info === undefined) {
    const chunk = await lines.read();
    if (chunk.done) {
      await child.status;
      throw new Error(`${script} ended before starting`);
    }
    buffer += chunk.value;
    const parts = buffer.split("\n");
    buffer = parts.pop() ?? "";
    for (const line of parts) {
      if (!line.startsWith("{")) continue;
      const parsed = schema.safeParse(JSON.parse(line));
      if (parsed.success) info = parsed.data;
    }
  }
  const drained = (async () => {
    while (!(await lines.read()).done) { /* discard */ }
  })();
  const found = info;
  return {
    info: found,
    pid: child.pid,
    async stop() {
      await child.stdin.close();
      await child.status;
      await drained;
    },
  };
}
