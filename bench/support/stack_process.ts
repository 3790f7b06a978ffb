import { z } from "zod";
import { startTestWorker } from "../../tests/support/test_stack.ts";
import { untilStdinCloses } from "./child_process.ts";

/**
 * The Worker in workerd (Miniflare), in a process of its own, reaching the
 * stand-ins whose env is its one argument (JSON). Prints one JSON line with
 * what a client needs, then runs until its stdin closes.
 */
const env = z.record(z.string(), z.string()).parse(JSON.parse(Deno.args[0]!));
const worker = await startTestWorker(env);
console.log(
  JSON.stringify({
    url: worker.url,
    apiKey: worker.apiKey,
    jwtSecret: worker.jwtSecret,
  }),
);
await untilStdinCloses();
await worker.close();
