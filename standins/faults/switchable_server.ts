/**
 * A stand-in's HTTP server that can go away and come back without letting
 * go of its port, so no other process (a parallel test picking a free port)
 * can take the port in between.
 *
 * The server is served with SO_REUSEPORT. To go down, a "refuser" listener
 * joins the port first — it accepts each connection and closes it at once,
 * which a client sees as a dead server (fetch fails) — and then the server
 * shuts down, letting requests already in flight finish. To come back, the
 * server is served again on the same port, and only then does the refuser
 * close. At every instant something holds the port.
 */
export interface SwitchableServerOptions {
  hostname: string;
  /** 0 lets the kernel pick; the port then stays this server's for good. */
  port: number;
  handler: Deno.ServeHandler<Deno.NetAddr>;
}

export class SwitchableServer {
  readonly hostname: string;
  readonly port: number;
  readonly #handler: Deno.ServeHandler<Deno.NetAddr>;
  #server: Deno.HttpServer<Deno.NetAddr> | null;
  #refuser: Refuser | null = null;
  /** Transitions run one at a time, in the order asked for. */
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(opts: SwitchableServerOptions) {
    this.hostname = opts.hostname;
    this.#handler = opts.handler;
    this.#server = serve(opts.hostname, opts.port, opts.handler);
    this.port = this.#server.addr.port;
  }

  get isUp(): boolean {
    return this.#server !== null;
  }

  /** Resolves once every new connection is refused. */
  down(): Promise<void> {
    return this.#then(async () => {
      if (!this.#server || this.#closed) return;
      this.#refuser = startRefuser(this.hostname, this.port);
      const server = this.#server;
      this.#server = null;
      await server.shutdown();
    });
  }

  /** Resolves once the server answers on its port again. */
  up(): Promise<void> {
    return this.#then(async () => {
      if (this.#server || this.#closed) return;
      this.#server = serve(this.hostname, this.port, this.#handler);
      await this.#refuser?.close();
      this.#refuser = null;
    });
  }

  /** Lets go of the port for good, whichever of the two holds it. */
  close(): Promise<void> {
    return this.#then(async () => {
      this.#closed = true;
      await this.#refuser?.close();
      this.#refuser = null;
      await this.#server?.shutdown();
      this.#server = null;
    });
  }

  #then(step: () => Promise<void>): Promise<void> {
    const run = this.#queue.then(step);
    this.#queue = run.catch(() => {});
    return run;
  }
}

function serve(
  hostname: string,
  port: number,
  handler: Deno.ServeHandler<Deno.NetAddr>,
): Deno.HttpServer<Deno.NetAddr> {
  return Deno.serve(
    { hostname, port, reusePort: true, onListen: () => {} },
    handler,
  );
}

interface Refuser {
  close(): Promise<void>;
}

function startRefuser(hostname: string, port: number): Refuser {
  const listener = Deno.listen({ hostname, port, reusePort: true });
  const accepting = (async () => {
    try {
      for await (const conn of listener) conn.close();
    } catch {
      // The listener was closed: the server is back.
    }
  })();
  return {
    async close() {
      listener.close();
      await accepting;
    },
  };
}
