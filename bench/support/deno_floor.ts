/**
 * The least an idle stream costs on Deno: a bare `Deno.serve` holding SSE
 * responses (`/sse`, one shared heartbeat timer, as Herald's hub has) and
 * upgraded WebSockets (`/ws`), and nothing else. Run as its own process
 * (`deno run -A bench/support/deno_floor.ts`): prints its port as one JSON
 * line, then serves until its stdin closes.
 */
import { untilStdinCloses } from "./child_process.ts";

const encoder = new TextEncoder();
const HEARTBEAT = encoder.encode(": hb\n\n");
const streams = new Set<ReadableStreamDefaultController<Uint8Array>>();
const beat = setInterval(() => {
  for (const c of streams) {
    try {
      c.enqueue(HEARTBEAT);
    } catch {
      streams.delete(c);
    }
  }
}, 15_000);

const server = Deno.serve(
  { hostname: "127.0.0.1", port: 0, onListen() {} },
  (req) => {
    const { pathname } = new URL(req.url);
    if (pathname === "/ws") {
      const { socket, response } = Deno.upgradeWebSocket(req);
      socket.addEventListener(
        "open",
        () => socket.send('{"event":"connected"}'),
      );
      socket.addEventListener("message", (e) => {
        if (e.data === '{"event":"ping"}') {
          socket.send('{"event":"hb"}');
        }
      });
      return response;
    }
    let controller: ReadableStreamDefaultController<Uint8Array>;
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        controller = c;
        streams.add(c);
        c.enqueue(
          encoder.encode("retry: 3000\n\nevent: connected\ndata: {}\n\n"),
        );
      },
      cancel() {
        streams.delete(controller);
      },
    });
    return new Response(body, {
      headers: { "content-type": "text/event-stream" },
    });
  },
);
console.log(JSON.stringify({ port: server.addr.port }));
await untilStdinCloses();
clearInterval(beat);
await server.shutdown().catch(() => {});
Deno.exit(0);
