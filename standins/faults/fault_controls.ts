import type { SwitchableServer } from "./switchable_server.ts";

/**
 * Faults a stand-in can be told to have, for tests, benchmarks and demos:
 * fail a share of calls (answered as the real service answers a server
 * error), answer every call late, or go away and come back. Set in
 * process (`StandIns.faults`) or over HTTP (`fault_routes.ts`). Nothing is
 * persisted: a restart forgets them.
 */
export interface FaultSettings {
  /** Share of calls, 0–1, answered with the service's server error. */
  fail: number;
  /** Added to every call before it is handled, ms. */
  delay: number;
}

export interface FaultStatus extends FaultSettings {
  down: boolean;
  /** When a timed outage ends by itself (epoch ms); null when it does not. */
  downUntil: number | null;
}

export interface FaultControl {
  /** Changes the given settings and keeps the others. */
  set(settings: Partial<FaultSettings>): void;
  /**
   * Takes the stand-in away (connections to its port fail; a QStash that
   * is down delivers nothing). With `forMs` it comes back by itself then.
   * Resolves once it is down.
   */
  down(forMs?: number): Promise<void>;
  /** Brings it back now; resolves once it answers again. */
  up(): Promise<void>;
  /** No faults at all: up, no failures, no delay. */
  clear(): Promise<void>;
  status(): FaultStatus;
}

/** What a stand-in does around an outage, beyond its HTTP server. */
export interface OutageHooks {
  /** Before the server stops answering (QStash stops delivering). */
  goingDown?(): void | Promise<void>;
  /** Once nothing answers any more (libSQL forgets its streams). */
  wentDown?(): void | Promise<void>;
  /** Once the server answers again (QStash delivers again). */
  cameBack?(): void | Promise<void>;
}

export interface FaultsOptions {
  /** For log lines: "qstash", "libsql", "redis-rest". */
  name: string;
  /** The service's own answer to a server error. */
  failure: () => Response;
  /** Paths no fault touches: the dev controls themselves. */
  exempt: (pathname: string) => boolean;
  hooks?: OutageHooks;
  log?: (line: string) => void;
  /** Injectable for tests of the share; Math.random by default. */
  random?: () => number;
}

const NO_FAULTS: FaultSettings = { fail: 0, delay: 0 };

export class Faults implements FaultControl {
  readonly #opts: FaultsOptions;
  #server: SwitchableServer | null = null;
  #settings: FaultSettings = NO_FAULTS;
  /** True while no call needs a look: the hot path checks only this. */
  #idle = true;
  #downUntil: number | null = null;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(opts: FaultsOptions) {
    this.#opts = opts;
  }

  /** The server whose port goes down and comes back (set once it exists). */
  attach(server: SwitchableServer): void {
    this.#server = server;
  }

  /** The handler with faults applied; the same handler while none are set. */
  wrap(
    handler: Deno.ServeHandler<Deno.NetAddr>,
  ): Deno.ServeHandler<Deno.NetAddr> {
    return (request, info) =>
      this.#idle
        ? handler(request, info)
        : this.#faulty(request, info, handler);
  }

  set(settings: Partial<FaultSettings>): void {
    const { fail, delay } = { ...this.#settings, ...settings };
    if (!(fail >= 0 && fail <= 1)) {
      throw new RangeError(`fail must be a share from 0 to 1, not ${fail}`);
    }
    if (!(delay >= 0)) {
      throw new RangeError(`delay must be 0 ms or more, not ${delay}`);
    }
    this.#settings = { fail, delay };
    this.#idle = this.#settings.fail === 0 && this.#settings.delay === 0;
    this.#log(
      `faults set: fail ${this.#settings.fail}, delay ${this.#settings.delay} ms`,
    );
  }

  down(forMs?: number): Promise<void> {
    clearTimeout(this.#timer);
    this.#downUntil = forMs === undefined ? null : Date.now() + forMs;
    if (forMs !== undefined) {
      this.#timer = setTimeout(() => {
        this.up().catch((error) => this.#log(`coming back failed: ${error}`));
      }, forMs);
    }
    return this.#transition(async (server) => {
      if (!server.isUp) return;
      await this.#opts.hooks?.goingDown?.();
      await server.down();
      await this.#opts.hooks?.wentDown?.();
      this.#log(
        forMs === undefined ? "down until told" : `down for ${forMs} ms`,
      );
    });
  }

  up(): Promise<void> {
    clearTimeout(this.#timer);
    this.#downUntil = null;
    return this.#transition(async (server) => {
      if (server.isUp) return;
      await server.up();
      await this.#opts.hooks?.cameBack?.();
      this.#log("back up");
    });
  }

  async clear(): Promise<void> {
    this.set(NO_FAULTS);
    await this.up();
  }

  status(): FaultStatus {
    return {
      ...this.#settings,
      down: this.#server?.isUp === false,
      downUntil: this.#downUntil,
    };
  }

  /** Stops a pending timed return (the server is closing for good). */
  dispose(): void {
    clearTimeout(this.#timer);
  }

  async #faulty(
    request: Request,
    info: Deno.ServeHandlerInfo<Deno.NetAddr>,
    handler: Deno.ServeHandler<Deno.NetAddr>,
  ): Promise<Response> {
    if (this.#opts.exempt(new URL(request.url).pathname)) {
      return await handler(request, info);
    }
    const { fail, delay } = this.#settings;
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    if (fail > 0 && (this.#opts.random ?? Math.random)() < fail) {
      // Read, not cancelled: a client still sending its body would see a
      // broken pipe instead of the answer.
      await request.arrayBuffer().catch(() => {});
      return this.#opts.failure();
    }
    return await handler(request, info);
  }

  /** Downs and ups, hooks included, run one at a time in the order asked. */
  #transition(step: (server: SwitchableServer) => Promise<void>) {
    const server = this.#server;
    if (!server) {
      return Promise.reject(new Error(`${this.#opts.name} is not serving`));
    }
    const run = this.#queue.then(() => step(server));
    this.#queue = run.catch(() => {});
    return run;
  }

  #log(line: string): void {
    this.#opts.log?.(`${this.#opts.name}: ${line}`);
  }
}
