import { Miniflare } from "miniflare";
import { parse as parseToml } from "smol-toml";
import { z } from "zod";

/**
 * The least a live connection can cost in workerd under Miniflare, and the
 * least a broadcast to many of them can take: no auth, no storage, no log,
 * no registry — the same workerd, compatibility date and flags as Herald
 * (from wrangler.toml), so the difference to Herald's figure is Herald's.
 *
 * - `GET /direct`: a Worker answering with a ReadableStream it writes only
 *   a heartbeat to (the floor of an idle SSE stream in a Worker).
 * - `GET /do`: a Durable Object holding the SSE stream, passed through;
 *   `POST /do/pub` writes the body, as one SSE event, to every stream it
 *   holds — the floor of an SSE broadcast (a Worker may only write to its
 *   own request's stream, so one object must hold them all).
 * - `GET /ws` (upgrade): a Durable Object accepting a hibernatable
 *   WebSocket; `POST /ws/pub` sends the body to every socket — the floor of
 *   a WebSocket broadcast.
 */

const SCRIPT = `
import { DurableObject } from "cloudflare:workers";
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
export class Hub extends DurableObject {
  subs = new Set();
  async fetch(request) {
    if (request.method === "POST") {
      const bytes = enc.encode("event: notification\\ndata: " + await request.text() + "\\nid: 1\\n\\n");
      let n = 0;
      for (const c of this.subs) { try { c.enqueue(bytes); n++; } catch {} }
      return Response.json({ delivered: n });
    }
    return sse(this.subs, false);
  }
}
export class SocketHub extends DurableObject {
  async fetch(request) {
    if (request.method === "POST") {
      const text = await request.text();
      const sockets = this.ctx.getWebSockets();
      for (const ws of sockets) ws.send(text);
      return Response.json({ delivered: sockets.length });
    }
    const [client, server] = Object.values(new WebSocketPair());
    this.ctx.acceptWebSocket(server);
    server.send('{"event":"connected"}');
    return new Response(null, { status: 101, webSocket: client });
  }
  webSocketMessage() {}
  webSocketClose(ws, code) { try { ws.close(code === 1005 ? 1000 : code); } catch {} }
}
export default {
  fetch(request, env) {
    const { pathname } = new URL(request.url);
    if (pathname === "/direct") return sse(held, true);
    if (pathname.startsWith("/do")) return env.HUB.get(env.HUB.idFromName("hub")).fetch(request);
    if (pathname.startsWith("/ws")) return env.SOCKETS.get(env.SOCKETS.idFromName("hub")).fetch(request);
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
    durableObjects: { HUB: "Hub", SOCKETS: "SocketHub" },
    host: "127.0.0.1",
    // Bound by workerd and reported back: no port is guessed up front.
    port: 0,
  });
  const url = await mf.ready;
  return {
    url: url.href.replace(/\/$/, ""),
    port: Number(url.port),
    close: () => mf.dispose(),
  };
}
