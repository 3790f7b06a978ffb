/**
 * HTTP routes of the Hrana dev server, shaped like sqld's. Content types are
 * written out exactly ("application/json", "text/plain", no charset) because
 * the Hrana client compares them verbatim to decide how to read an error.
 */
import { Hono } from "hono";
import type { z } from "zod";
import { type FaultControl, faultRoutes } from "@herald/standin-faults";
import type { ProtocolVersion } from "./batch_execute.ts";
import { runCursor } from "./cursor.ts";
import { ProtocolError, StreamExpiredError } from "./errors.ts";
import {
  cursorBodySchema,
  describeIssues,
  pipelineBodySchema,
} from "./hrana_schema.ts";
import { runPipeline } from "./pipeline.ts";
import type { StatementCounts } from "./statement_counts.ts";
import type { StreamRegistry } from "./stream_registry.ts";

export interface HranaAppDeps {
  registry: StreamRegistry;
  counts: StatementCounts;
  /** When set, pipeline and cursor requests need `Authorization: Bearer <token>`. */
  authToken?: string;
  /** Dev-only: failures, delays and outages to inject (`/dev/faults`). */
  faults: FaultControl;
  log: (line: string) => void;
}

const HELLO = "Hello, this is HTTP API v2 (Hrana over HTTP)";
const VERSION = "herald-libsql-dev (Hrana 2 and 3 over HTTP, JSON)";

function textResponse(status: number, body: string): Response {
  return new Response(body, {
    status,
    headers: { "content-type": "text/plain" },
  });
}

function jsonResponse(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json" },
  });
}

async function readBody<S extends z.ZodType>(
  request: Request,
  schema: S,
): Promise<z.output<S>> {
  const prefix = "Cannot deserialize client message from JSON";
  let json: unknown;
  try {
    json = JSON.parse(await request.text());
  } catch (error) {
    throw new ProtocolError(
      `${prefix}: ${error instanceof Error ? error.message : error}`,
    );
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new ProtocolError(`${prefix}: ${describeIssues(parsed.error)}`);
  }
  return parsed.data;
}

/** Compares in time independent of where the strings differ. */
function sameSecret(given: string, expected: string): boolean {
  const a = new TextEncoder().encode(given);
  const b = new TextEncoder().encode(expected);
  let difference = a.length ^ b.length;
  for (let i = 0; i < b.length; i++) difference |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return difference === 0;
}

function isAuthorized(
  header: string | null,
  token: string | undefined,
): boolean {
  if (token === undefined) return true;
  const presented = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "")?.[1];
  return presented !== undefined && sameSecret(presented, token);
}

export function createHranaApp(deps: HranaAppDeps): Hono {
  const { registry, authToken, counts, log } = deps;
  const app = new Hono();

  app.onError((error) => {
    if (error instanceof ProtocolError) {
      log(`libsql: protocol error: ${error.message}`);
      return textResponse(400, error.message);
    }
    if (error instanceof StreamExpiredError) {
      return jsonResponse(500, { message: error.message, code: error.code });
    }
    log(`libsql: internal error: ${error.stack ?? error.message}`);
    return internalServerError();
  });
  app.notFound(() => textResponse(404, "Not found"));

  // sqld answers 401 with a JSON body that has no `message`, which the client
  // reports as an HTTP error rather than a SQL error.
  const unauthorized = () =>
    jsonResponse(401, { error: "Unauthorized: missing or invalid token" });

  app.get("/health", () => new Response(null, { status: 200 }));
  app.get("/version", () => textResponse(200, VERSION));
  app.get("/v2", () => textResponse(200, HELLO));
  // Dev-only (not in sqld): statements run so far, and how many wrote.
  app.get("/dev/stats", (c) => {
    if (!isAuthorized(c.req.raw.headers.get("authorization"), authToken)) {
      return unauthorized();
    }
    return jsonResponse(200, counts.snapshot());
  });
  app.get("/v3", () => textResponse(200, HELLO));

  const pipeline = async (request: Request, version: ProtocolVersion) => {
    if (!isAuthorized(request.headers.get("authorization"), authToken)) {
      return unauthorized();
    }
    const body = await readBody(request, pipelineBodySchema);
    return jsonResponse(200, await runPipeline(registry, body, version));
  };
  // Dev-only controls, behind the same token as the database when it has one.
  app.use("/dev/*", async (c, next) => {
    if (!isAuthorized(c.req.header("authorization") ?? null, authToken)) {
      return unauthorized();
    }
    await next();
    return undefined;
  });
  app.route("/", faultRoutes("/dev/faults", deps.faults));

  app.post("/v2/pipeline", (c) => pipeline(c.req.raw, 2));
  app.post("/v3/pipeline", (c) => pipeline(c.req.raw, 3));

  app.post("/v3/cursor", async (c) => {
    if (!isAuthorized(c.req.raw.headers.get("authorization"), authToken)) {
      return unauthorized();
    }
    const body = await readBody(c.req.raw, cursorBodySchema);
    return textResponse(200, await runCursor(registry, body));
  });

  return app;
}

/** sqld's answer to a server error; injected failures answer the same. */
export function internalServerError(): Response {
  return textResponse(500, "Internal server error");
}
