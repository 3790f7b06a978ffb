/**
 * Raw Hrana-over-HTTP checks at the HTTP level, for behaviour the official
 * client relies on but cannot be made to show: routes, batons, protocol errors
 * and a pipeline that keeps going after a failed request.
 */
import assert from "node:assert/strict";
import {
  close,
  errorOf,
  execute,
  libsqlTest,
  okResponse,
  pipelineAnswer,
  stmtResultSchema,
} from "./libsql_harness.ts";

export function registerProtocolTests(): void {
  libsqlTest(
    "routes answer like sqld: health, version, hello, 404",
    async (fx) => {
      const health = await fetch(`${fx.server.url}/health`);
      assert.deepEqual([health.status, await health.text()], [200, ""]);
      const version = await fetch(`${fx.server.url}/version`);
      assert.equal(version.status, 200);
      await version.body?.cancel();
      for (const path of ["/v2", "/v3"]) {
        const hello = await fetch(`${fx.server.url}${path}`);
        assert.equal(
          await hello.text(),
          "Hello, this is HTTP API v2 (Hrana over HTTP)",
        );
      }
      // The client probes this path for v3 and falls back to v2 JSON on a 404.
      const missing = await fetch(`${fx.server.url}/v3-protobuf`);
      assert.equal(missing.status, 404);
      await missing.body?.cancel();
    },
  );

  libsqlTest(
    "every request of a pipeline runs, even after one fails",
    async (fx) => {
      const answer = pipelineAnswer(
        await fx.post("/v2/pipeline", {
          baton: null,
          requests: [
            execute("SELECT * FROM nope"),
            execute("SELECT 1 AS one"),
            close,
          ],
        }),
      );
      assert.equal(answer.baton, null);
      assert.deepEqual(errorOf(answer, 0), {
        message: "SQLite error: no such table: nope",
        code: "SQLITE_UNKNOWN",
      });
      const { query_duration_ms: _, ...result } = stmtResultSchema.parse(
        okResponse(answer, 1).result,
      );
      assert.deepEqual(result, {
        cols: [{ name: "one", decltype: null }],
        rows: [[{ type: "integer", value: "1" }]],
        affected_row_count: 0,
        last_insert_rowid: null,
      });
      assert.deepEqual(okResponse(answer, 2), { type: "close" });
    },
  );

  libsqlTest(
    "a used baton is a 400 protocol error, and the stream lives on",
    async (fx) => {
      const opened = pipelineAnswer(
        await fx.post("/v2/pipeline", { baton: null, requests: [] }),
      );
      assert.ok(opened.baton);
      const next = pipelineAnswer(
        await fx.post("/v2/pipeline", { baton: opened.baton, requests: [] }),
      );
      assert.ok(next.baton && next.baton !== opened.baton);

      const reused = await fx.post("/v2/pipeline", {
        baton: opened.baton,
        requests: [],
      });
      assert.deepEqual([reused.status, reused.contentType], [
        400,
        "text/plain",
      ]);
      assert.match(reused.text, /already been used/);
      const forged = await fx.post("/v2/pipeline", {
        baton: "not-a-baton",
        requests: [],
      });
      assert.deepEqual([forged.status, forged.text], [
        400,
        "Received an invalid baton",
      ]);

      const closed = pipelineAnswer(
        await fx.post("/v2/pipeline", { baton: next.baton, requests: [close] }),
      );
      assert.equal(closed.baton, null);
      const afterClose = await fx.post("/v2/pipeline", {
        baton: next.baton,
        requests: [],
      });
      assert.equal(afterClose.status, 400);
    },
  );

  libsqlTest(
    "malformed bodies are 400 text/plain protocol errors",
    async (fx) => {
      const tooBig = { type: "integer", value: "9223372036854775808" };
      const bodies = [
        "{not json",
        { baton: null },
        { baton: null, requests: [{ type: "explode" }] },
        { baton: null, requests: [execute("SELECT ?", { args: [tooBig] })] },
        {
          baton: null,
          requests: [
            execute("SELECT ?", { args: [{ type: "blob", base64: "!!" }] }),
          ],
        },
        { baton: null, requests: [execute("SELECT 1", { sql_id: 1 })] },
        { baton: null, requests: [{ type: "execute", stmt: { sql_id: 9 } }] },
        {
          baton: null,
          requests: [{
            type: "batch",
            batch: {
              steps: [{
                stmt: { sql: "SELECT 1" },
                condition: { type: "ok", step: 0 },
              }],
            },
          }],
        },
      ];
      for (const body of bodies) {
        const response = await fx.post("/v2/pipeline", body);
        assert.deepEqual([response.status, response.contentType], [
          400,
          "text/plain",
        ], JSON.stringify(body));
      }
    },
  );
}
