import { Client } from "@upstash/qstash";
import { z } from "zod";
import { DEV_QSTASH_TOKEN } from "../credentials.ts";
import { type QStashDevServer, startQStashDevServer } from "../server.ts";

/**
 * What the QStash conformance tests share: a destination HTTP server that
 * records every delivery, the official client pointed at a fresh dev server,
 * and the dev-only clock controls (plain fetch: the SDK has no such API).
 */
export interface Delivery {
  method: string;
  url: string;
  headers: Headers;
  body: string;
}

export type Reply = (
  delivery: Delivery,
  index: number,
) => Response | Promise<Response>;

export class Destination {
  readonly deliveries: Delivery[] = [];
  readonly #server: Deno.HttpServer<Deno.NetAddr>;
  #waiters: Array<{ count: number; resolve: () => void }> = [];

  constructor(reply: Reply = () => new Response("ok")) {
    this.#server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      async (request) => {
        const delivery: Delivery = {
          method: request.method,
          url: request.url,
          headers: request.headers,
          body: await request.text(),
        };
        const index = this.deliveries.push(delivery) - 1;
        this.#waiters = this.#waiters.filter((waiter) => {
          if (this.deliveries.length < waiter.count) return true;
          waiter.resolve();
          return false;
        });
        return await reply(delivery, index);
      },
    );
  }

  url(path = "/hook"): string {
    return `http://127.0.0.1:${this.#server.addr.port}${path}`;
  }

  /** Resolves once `count` deliveries have arrived (real time). */
  async waitFor(count: number, timeoutMs = 5_000): Promise<Delivery[]> {
    if (this.deliveries.length < count) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        new Promise<void>((resolve) => this.#waiters.push({ count, resolve })),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () =>
              reject(
                new Error(
                  `only ${this.deliveries.length} of ${count} deliveries arrived`,
                ),
              ),
            timeoutMs,
          );
        }),
      ]).finally(() => clearTimeout(timer));
    }
    return this.deliveries;
  }

  close(): Promise<void> {
    return this.#server.shutdown();
  }
}

const deliveryReport = z.object({
  messageId: z.string(),
  scheduleId: z.string().optional(),
  url: z.string(),
  status: z.number(),
  retried: z.number(),
  at: z.number(),
  outcome: z.string(),
});
const advanceResponse = z.object({
  now: z.number(),
  delivered: z.array(deliveryReport),
});
export type AdvanceResponse = z.infer<typeof advanceResponse>;

/** The dev server's `/v2/dev/*` controls. */
export class DevControls {
  readonly #baseUrl: string;

  constructor(baseUrl: string) {
    this.#baseUrl = baseUrl;
  }

  async #call(method: string, path: string, body?: unknown): Promise<unknown> {
    const response = await fetch(`${this.#baseUrl}${path}`, {
      method,
      headers: { Authorization: `Bearer ${DEV_QSTASH_TOKEN}` },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json: unknown = await response.json();
    if (!response.ok) {
      throw new Error(
        `${method} ${path} → ${response.status} ${JSON.stringify(json)}`,
      );
    }
    return json;
  }

  async now(): Promise<number> {
    return z.object({ now: z.number() }).parse(
      await this.#call("GET", "/v2/dev/clock"),
    ).now;
  }

  async set(at: string | number): Promise<AdvanceResponse> {
    return advanceResponse.parse(
      await this.#call("POST", "/v2/dev/clock", { set: at }),
    );
  }

  async advance(ms: number): Promise<AdvanceResponse> {
    return advanceResponse.parse(
      await this.#call("POST", "/v2/dev/clock", { advance: ms }),
    );
  }

  /** `GET /v2/dev/stats`: delivery attempts so far and messages pending. */
  async stats(): Promise<{ attempts: number; pending: number }> {
    return z.object({ attempts: z.number(), pending: z.number() }).parse(
      await this.#call("GET", "/v2/dev/stats"),
    );
  }

  async fire(
    scheduleId: string,
  ): Promise<{ messageId: string; status: number }> {
    return z.object({ messageId: z.string(), status: z.number() }).parse(
      await this.#call("POST", `/v2/dev/schedules/${scheduleId}/fire`),
    );
  }
}

export interface Stack {
  server: QStashDevServer;
  client: Client;
  destination: Destination;
  dev: DevControls;
}

export function clientFor(
  server: QStashDevServer,
  token = DEV_QSTASH_TOKEN,
): Client {
  // No client-side retries: a refused request must fail the test at once.
  return new Client({ baseUrl: server.url, token, retry: false });
}

/** Runs `test` against a fresh dev server and destination, then closes both. */
export async function withStack(
  test: (stack: Stack) => Promise<void>,
  options: { reply?: Reply; stateFile?: string } = {},
): Promise<void> {
  const destination = new Destination(options.reply);
  const server = await startQStashDevServer({
    port: 0,
    ...(options.stateFile ? { stateFile: options.stateFile } : {}),
  });
  try {
    await test({
      server,
      client: clientFor(server),
      destination,
      dev: new DevControls(server.url),
    });
  } finally {
    await server.close();
    await destination.close();
  }
}

/** Milliseconds since the epoch for an ISO instant. */
export const at = (iso: string): number => Date.parse(iso);
