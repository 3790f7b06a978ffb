import { Miniflare } from "miniflare";
import { parse as parseToml } from "smol-toml";
import { z } from "zod";

/**
 * The least an idle SSE connection can cost in workerd under Miniflare: a
 * Worker that answers with a JS ReadableStream it only writes a heartbeat
 * to (`/direct`), and one that passes through a Durable Object's stream
 * (`/do`, the shape of a Herald stream on one channel) — no auth, no
 * storage, no registry. Same workerd, compatibility date and flags as
 * Herald (from wrangler.toml), so the difference to Herald's figure is
 * Herald's own.
 */

const SCRIPT = `
const enc = new TextEncoder();
const HB = enc.encode(": hb\\n\\n");
// beat: a per-connection heartbeat timer. A Worker (not an object) must
// have one: a request with nothing pending is cancelled by workerd as hung.
function sse(set, beat) {
  let ctl;
  let timer;
  const stream = new ReadableStream({
    start(c) {
      ctl = c;
      if (beat) timer = setInterval(() => { try { c.enqueue(HB); } catch {} }, 15000);
    },
    cancel() { set.delete(ctl); clearInterval(timer); },
  }, { highWaterMark: 0 });
  set.add(ctl);
  ctl.enqueue(enc.encode("retry: 3000\\n\\nevent: connected\\ndata: {}\\n\\n"));
  return new Response(stream, { headers: { "content-type": "text/event-stream" } });
}
const held = new Set();
export class Hub {
  constructor() { this.subs = new Set(); }
  fetch() { return sse(this.subs, false); }
}
export default {
  fetch(request, env) {
    const { pathname } = new URL(request.url);
    if (pathname === "/direct") return sse(held, true);
    if (pathname === "/do") return env.HUB.get(env.HUB.idFromName("hub")).fetch(request);
    return new Response("not found", { status: 404 });
  },
};
`;

const wranglerSchema = z.object({
  compatibility_date: z.string(),
  compatibility_flags: z.array(z.string()).default([]),
});

export interface FloorWorker {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startFloorWorker(): Promise<FloorWorker> {
  const wrangler = wranglerSchema.parse(
    parseToml(
      await Deno.readTextFile(new URL("../../wrangler.toml", import.meta.url)),
    ),
  );
  const mf = new Miniflare({
    modules: true,
    script: SCRIPT,
    compatibilityDate: wrangler.compatibility_date,
    compatibilityFlags: wrangler.compatibility_flags,
    durableObjects: { HUB: "Hub" },
    host: "127.0.0.1",
    // The floor needs no URL of its own before it starts: the kernel picks.
    port: 0,
  });
  const url = await mf.ready;
  return {
    url: url.origin,
    port: Number(url.port),
    close: () => mf.dispose(),
  };
}
