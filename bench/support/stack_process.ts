import { z } from "zod";
import { startTestWorker } from "../../tests/support/test_stack.ts";
import { untilStdinCloses } from "./child_process.ts";

/**
 * The Worker in workerd (Miniflare), in a process of its own, reaching the
 * stand-ins whose env is its first argument (JSON); the second, if any, is
 * extra Worker vars (JSON). Prints one JSON line with what a client needs,
 * then runs until its stdin closes.
 */
const vars = z.record(z.string(), z.string());
const env = vars.parse(JSON.parse(Deno.args[0]!));
const extra = vars.parse(JSON.parse(Deno.args[1] ?? "{}"));
// Without the static-assets router Miniflare would put in front of the
// Worker: Cloudflare's own, and not the Worker's to pay for (its cost here
// is in dev/worker_runtime.ts).
const worker = await startTestWorker(env, extra, { staticAssets: false });
console.log(JSON.stringify({
  url: worker.url,
  apiKey: worker.apiKey,
  jwtSecret: worker.jwtSecret,
}));
await untilStdinCloses();
await worker.close();
