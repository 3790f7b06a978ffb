import assert from "node:assert/strict";
import {
  type Client,
  type Config,
  createClient,
  LibsqlError,
} from "@libsql/client/web";
import { join } from "node:path";
import { z } from "zod";
import {
  type LibsqlDevServer,
  type LibsqlDevServerOptions,
  startLibsqlDevServer,
} from "../server.ts";

/**
 * What the libSQL conformance tests share: a dev server on a free port over a
 * fresh database file, official web clients that are closed afterwards, and a
 * raw POST for the few protocol details no client can express.
 */
export interface LibsqlFixture {
  server: LibsqlDevServer;
  /** A `@libsql/client/web` client for this server, closed when the test ends. */
  client(config?: Partial<Config>): Client;
  post(
    path: string,
    body: unknown,
    headers?: HeadersInit,
  ): Promise<RawResponse>;
}

export interface RawResponse {
  status: number;
  contentType: string | null;
  text: string;
  json(): unknown;
}

export type ServerOptions = Omit<LibsqlDevServerOptions, "file" | "port">;

export async function withLibsqlServer(
  options: ServerOptions,
  run: (fixture: LibsqlFixture) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "herald-libsql-test-" });
  const server = await startLibsqlDevServer({
    ...options,
    port: 0,
    file: join(dir, "test.db"),
  });
  const clients: Client[] = [];
  const fixture: LibsqlFixture = {
    server,
    client: (config = {}) => {
      const client = createClient({ url: server.url, ...config });
      clients.push(client);
      return client;
    },
    post: async (path, body, headers = {}) => {
      const response = await fetch(`${server.url}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: typeof body === "string" ? body : JSON.stringify(body),
      });
      const text = await response.text();
      return {
        status: response.status,
        contentType: response.headers.get("content-type"),
        text,
        json: () => JSON.parse(text),
      };
    },
  };
  try {
    await run(fixture);
  } finally {
    for (const client of clients) client.close();
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
}

/** Registers a Deno test that gets its own server. */
export function libsqlTest(
  name: string,
  run: (fixture: LibsqlFixture) => Promise<void>,
  options: ServerOptions = {},
): void {
  Deno.test(name, () => withLibsqlServer(options, run));
}

const streamResultSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("ok"),
    response: z.record(z.string(), z.unknown()),
  }),
  z.object({
    type: z.literal("error"),
    error: z.object({ message: z.string(), code: z.string() }),
  }),
]);

const pipelineResponseSchema = z.object({
  baton: z.string().nullable(),
  base_url: z.string().nullable(),
  results: z.array(streamResultSchema),
});

export type PipelineAnswer = z.infer<typeof pipelineResponseSchema>;

/** Checks a raw response is a 200 pipeline answer and returns its parts. */
export function pipelineAnswer(response: RawResponse): PipelineAnswer {
  if (response.status !== 200) {
    throw new Error(`Expected 200, got ${response.status}: ${response.text}`);
  }
  return pipelineResponseSchema.parse(response.json());
}

/** The response of request `index`, which must have succeeded. */
export function okResponse(
  answer: PipelineAnswer,
  index: number,
): Record<string, unknown> {
  const result = answer.results[index];
  if (result?.type !== "ok") {
    throw new Error(`Request ${index} failed: ${JSON.stringify(result)}`);
  }
  return result.response;
}

/** The error of request `index`, which must have failed. */
export function errorOf(
  answer: PipelineAnswer,
  index: number,
): { message: string; code: string } {
  const result = answer.results[index];
  if (result?.type !== "error") {
    throw new Error(`Request ${index} did not fail: ${JSON.stringify(result)}`);
  }
  return result.error;
}

/** A Hrana text value, to keep raw request bodies short. */
export const text = (value: string) => ({ type: "text", value });

export const close = { type: "close" };

/** A StmtResult as the server writes it. */
export const stmtResultSchema = z.object({
  cols: z.array(
    z.object({ name: z.string(), decltype: z.string().nullable() }),
  ),
  rows: z.array(z.array(z.unknown())),
  affected_row_count: z.number(),
  last_insert_rowid: z.string().nullable(),
  query_duration_ms: z.number(),
});

export const execute = (sql: string, extra: Record<string, unknown> = {}) => ({
  type: "execute",
  stmt: { sql, ...extra },
});

/** Resolves at the next event of `type` (the server's `events`). */
export function nextEvent(target: EventTarget, type: string): Promise<void> {
  return new Promise((resolve) =>
    target.addEventListener(type, () => resolve(), { once: true })
  );
}

/** Asserts a promise rejects with a LibsqlError carrying `code`. */
export async function rejectsWithCode(
  promise: Promise<unknown>,
  code: string,
): Promise<void> {
  await assert.rejects(promise, (error) => {
    assert.ok(
      error instanceof LibsqlError,
      `expected LibsqlError, got ${error}`,
    );
    assert.equal(error.code, code, error.message);
    return true;
  });
}
