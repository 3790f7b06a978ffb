import assert from "node:assert/strict";
import { z } from "zod";
import { integrationSuite } from "../support/suite.ts";

const suite = integrationSuite("hostile bodies on every JSON route");
const { test } = suite;

/** The part of the OpenAPI document this test reads. */
const operation = z.object({
  requestBody: z.object({
    content: z.record(
      z.string(),
      z.object({ schema: z.record(z.string(), z.unknown()).optional() }),
    ),
  }).optional(),
});
const documentBody = z.object({
  paths: z.record(z.string(), z.record(z.string(), z.unknown())),
  components: z.object({
    schemas: z.record(z.string(), z.record(z.string(), z.unknown())),
  }).partial().optional(),
});
type Document = z.infer<typeof documentBody>;

interface JsonRoute {
  method: string;
  path: string;
  /** The top-level properties its body schema names. */
  properties: string[];
}

/** A schema with its `$ref` followed (one level is all Herald's use). */
function resolved(
  schema: Record<string, unknown>,
  doc: Document,
): Record<string, unknown> {
  const ref = schema["$ref"];
  if (typeof ref !== "string") return schema;
  const name = ref.split("/").at(-1) ?? "";
  return doc.components?.schemas?.[name] ?? {};
}

/** Every operation whose body is JSON, read from the served document. */
function jsonRoutes(doc: Document): JsonRoute[] {
  const routes: JsonRoute[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, value] of Object.entries(methods)) {
      const op = operation.safeParse(value);
      const schema = op.success
        ? op.data.requestBody?.content["application/json"]?.schema
        : undefined;
      if (!schema) continue;
      const properties = resolved(schema, doc)["properties"];
      routes.push({
        method: method.toUpperCase(),
        path,
        properties: typeof properties === "object" && properties !== null
          ? Object.keys(properties)
          : [],
      });
    }
  }
  return routes;
}

const deepObject = (depth: number) =>
  '{"a":'.repeat(depth) + "1" + "}".repeat(depth);
const deepArray = (depth: number) => "[".repeat(depth) + "]".repeat(depth);
const wideObject = (keys: number) =>
  JSON.stringify(
    Object.fromEntries(Array.from({ length: keys }, (_, k) => [`k${k}`, k])),
  );

/** Whole bodies: nested, wide, long, of every JSON type, and not JSON. */
const WHOLE_BODIES: Record<string, string> = {
  "an object nested 7,000 levels": deepObject(7_000),
  "an array nested 10,000 levels": deepArray(10_000),
  "an object of 5,000 keys": wideObject(5_000),
  "an array of 10,000 numbers": JSON.stringify(
    Array.from({ length: 10_000 }, (_, k) => k),
  ),
  "a 60 KB string": JSON.stringify("x".repeat(60_000)),
  "null": "null",
  "a number past float range": "1e400",
  "a lone surrogate": '{"a":"\\ud800"}',
  "a NUL": '{"a":"\\u0000"}',
  "a __proto__ key": '{"__proto__":{"admin":true}}',
  "truncated JSON": '{"a":',
};

/** Values put in each property a body schema names. */
const FIELD_VALUES: Record<string, unknown> = {
  "a 60 KB string": "é".repeat(30_000),
  "a nested object": JSON.parse(deepObject(40)),
  "an array of 5,000 strings": Array.from({ length: 5_000 }, () => "ab"),
  "a huge number": 1e308,
  "a negative fraction": -0.5,
  "null": null,
  "a control string": "\u0000\u001f\u2028\ud83d",
};

function pathFor(route: JsonRoute): string {
  return route.path.replaceAll(
    /\{(\w+)\}/g,
    (_, name: string) =>
      name === "userId" ? `fuzz-${crypto.randomUUID()}` : "fuzz",
  );
}

async function answered(route: JsonRoute, body: string): Promise<number> {
  const res = await suite.stack.admin(pathFor(route), {
    method: route.method,
    headers: { "content-type": "application/json" },
    body,
  });
  const text = await res.text();
  assert.ok(
    res.status < 500,
    `${route.method} ${route.path} answered ${res.status}: ${
      text.slice(0, 200)
    }`,
  );
  // A refusal names what is wrong; it does not repeat a hostile body.
  assert.ok(
    text.length <= 4_096,
    `${route.method} ${route.path} answered ${text.length} characters: ${
      text.slice(0, 200)
    }`,
  );
  return res.status;
}

test("no hostile body on any JSON route is a 5xx", async () => {
  const res = await fetch(`${suite.stack.url}/openapi.json`);
  const routes = jsonRoutes(documentBody.parse(await res.json()));
  // The document names the routes a client can send JSON to; far fewer
  // would mean it was read wrong, and this test would prove nothing.
  assert.ok(routes.length >= 10, `${routes.length} JSON routes`);
  let refused = 0;
  let sent = 0;
  for (const route of routes) {
    for (const body of Object.values(WHOLE_BODIES)) {
      sent++;
      if (await answered(route, body) >= 400) refused++;
    }
    for (const property of route.properties) {
      for (const value of Object.values(FIELD_VALUES)) {
        sent++;
        const body = JSON.stringify({ [property]: value });
        if (await answered(route, body) >= 400) refused++;
      }
    }
  }
  // Hostile bodies are refused; a few may be harmless no-ops (a field's
  // null may mean "clear it"), but not most.
  assert.ok(refused > sent * 0.8, `${refused} of ${sent} refused`);
});

test("no hostile stream request is a 5xx", async () => {
  const token = "x".repeat(10_000);
  const cases: [string, RequestInit][] = [
    [`/v1/stream?token=${token}`, {}],
    [`/v1/stream?lastEventId=${"9".repeat(5_000)}`, {}],
    ["/v1/stream?lastEventId=1.%00%FF", {}],
    ["/v1/stream", { headers: { authorization: `Bearer ${token}` } }],
    ["/v1/stream", { headers: { authorization: "Bearer" } }],
    ["/v1/stream", {
      headers: { "last-event-id": "1.".repeat(2_000), upgrade: "websocket" },
    }],
    ["/v1/stream/token", { method: "POST", body: deepArray(5_000) }],
  ];
  for (const [path, init] of cases) {
    const res = await fetch(`${suite.stack.url}${path}`, init);
    await res.body?.cancel();
    assert.ok(res.status < 500, `${path.slice(0, 60)}: ${res.status}`);
  }
});

suite.run();
