import assert from "node:assert/strict";
import { compileErrors, validate } from "@readme/openapi-parser";
import { z } from "zod";
import { createApp } from "../../src/app.ts";
import { ERROR_CODES } from "../../src/errors.ts";
import { integrationSuite } from "../support/suite.ts";

const suite = integrationSuite("the OpenAPI document");
const { test } = suite;

/**
 * Served but not API: browser pages and their scripts, and the local
 * stack's clock hook (`DEV_CLOCK` only; QStash's dev server calls it).
 */
const NOT_API = new Set([
  "GET /console",
  "GET /console/app.js",
  "GET /console/live",
  "GET /console/herald-client.js",
  "GET /client/herald-inbox.js",
  "GET /client/herald-sw.js",
  "GET /docs",
  "POST /v1/dev/clock",
]);

const METHODS = ["get", "put", "post", "patch", "delete"] as const;
const documentSchema = z.object({
  openapi: z.string(),
  paths: z.record(
    z.string(),
    z.partialRecord(
      z.enum(METHODS),
      z.object({
        operationId: z.string(),
        summary: z.string(),
        security: z.unknown(),
      }),
    ),
  ),
});

/** "METHOD /path/{param}" for every route the app's router holds. */
function servedRoutes(): Set<string> {
  // The router is built without deps; no request is made.
  const app = createApp(() => {
    throw new Error("No request reaches this app");
  });
  const served = new Set<string>();
  for (const route of app.routes) {
    // Middleware (`use`) is registered as ALL; handlers name their method.
    if (route.method === "ALL") continue;
    const path = route.path.replaceAll(/:(\w+)(\{[^}]*\})?/g, "{$1}");
    served.add(`${route.method} ${path}`);
  }
  return served;
}

type ApiDocument = Exclude<Parameters<typeof validate>[0], string>;
const apiDocument = z.custom<ApiDocument>((value) =>
  typeof value === "object" && value !== null && "openapi" in value
);

async function fetchDocument() {
  const res = await fetch(`${suite.stack.url}/openapi.json`);
  assert.equal(res.status, 200);
  return apiDocument.parse(await res.json());
}

test("GET /openapi.json is a valid OpenAPI 3.1 document", async () => {
  const raw = await fetchDocument();
  assert.match(documentSchema.parse(raw).openapi, /^3\.1\./);
  // The validator dereferences in place: give it its own copy.
  const result = await validate(structuredClone(raw));
  assert.ok(result.valid, compileErrors(result));
});

test("the document describes every route the app serves, and no other", async () => {
  const doc = documentSchema.parse(await fetchDocument());
  const documented = new Set<string>();
  for (const [path, operations] of Object.entries(doc.paths)) {
    for (const method of Object.keys(operations)) {
      documented.add(`${method.toUpperCase()} ${path}`);
    }
  }
  const api = [...servedRoutes()].filter((r) => !NOT_API.has(r));
  assert.deepEqual([...documented].sort(), api.sort());
});

test("every operation states its security, and only /health, /openapi.json and the VAPID key are open", async () => {
  const doc = documentSchema.parse(await fetchDocument());
  const open: string[] = [];
  for (const [path, operations] of Object.entries(doc.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      const security = z.array(z.record(z.string(), z.array(z.string())))
        .parse(operation.security);
      if (security.length === 0) open.push(`${method.toUpperCase()} ${path}`);
    }
  }
  assert.deepEqual(open.sort(), [
    "GET /health",
    "GET /openapi.json",
    "GET /v1/push/vapid-key",
  ]);
});

test("every operation has a summary and its own operationId", async () => {
  const doc = documentSchema.parse(await fetchDocument());
  const ids = Object.values(doc.paths).flatMap((operations) =>
    Object.values(operations).map((o) => o.operationId)
  );
  assert.equal(new Set(ids).size, ids.length, `duplicates in ${ids}`);
});

const errorCodes = z.object({
  components: z.object({
    schemas: z.object({
      Error: z.object({
        properties: z.object({
          error: z.object({
            properties: z.object({
              code: z.object({ enum: z.array(z.string()) }),
            }),
          }),
        }),
      }),
    }),
  }),
});

test("the error envelope lists every error code; sending documents its 422", async () => {
  const raw = await fetchDocument();
  const { components } = errorCodes.parse(raw);
  const codes = components.schemas.Error.properties.error.properties.code.enum;
  assert.deepEqual(codes.toSorted(), [...ERROR_CODES].sort());
  const send = z.object({
    paths: z.object({
      "/v1/notifications": z.object({
        post: z.object({ responses: z.record(z.string(), z.unknown()) }),
      }),
    }),
  }).parse(raw);
  assert.ok("422" in send.paths["/v1/notifications"].post.responses);
});

test("the 405 is described once, as a shared response with its Allow header", async () => {
  const shared = z.object({
    components: z.object({
      responses: z.object({
        MethodNotAllowed: z.object({
          headers: z.object({ Allow: z.unknown() }),
          content: z.object({ "application/json": z.unknown() }),
        }),
      }),
    }),
  });
  assert.ok(shared.safeParse(await fetchDocument()).success);
});

suite.run();
