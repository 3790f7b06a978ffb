/**
 * Raw checks of individual Hrana requests the official client never sends or
 * cannot observe: stored SQL limits, v3-only autocommit requests, `describe`
 * and the v3 cursor endpoint.
 */
import assert from "node:assert/strict";
import { z } from "zod";
import {
  close,
  errorOf,
  execute,
  libsqlTest,
  okResponse,
  pipelineAnswer,
  stmtResultSchema,
  text,
} from "./libsql_harness.ts";

const cursorLineSchema = z.looseObject({
  type: z.string().optional(),
  baton: z.string().nullish(),
});

export function registerRequestTests(): void {
  libsqlTest(
    "store_sql follows sqld's rules for ids and limits",
    async (fx) => {
      const store = (id: number) => ({
        type: "store_sql",
        sql_id: id,
        sql: `SELECT ${id} AS n`,
      });
      const answer = pipelineAnswer(
        await fx.post("/v2/pipeline", {
          baton: null,
          requests: [
            ...Array.from({ length: 51 }, (_, i) => store(i)),
            { type: "execute", stmt: { sql_id: 7 } },
            { type: "close_sql", sql_id: 7 },
            store(100),
          ],
        }),
      );
      assert.deepEqual(errorOf(answer, 50), {
        message: "The server already stores 50 SQL texts, it cannot store more",
        code: "SQL_STORE_TOO_MANY",
      });
      assert.deepEqual(
        stmtResultSchema.parse(okResponse(answer, 51).result).rows,
        [[
          { type: "integer", value: "7" },
        ]],
      );
      assert.deepEqual(okResponse(answer, 53), { type: "store_sql" });

      const duplicate = await fx.post("/v2/pipeline", {
        baton: answer.baton,
        requests: [store(1)],
      });
      assert.deepEqual([duplicate.status, duplicate.text], [
        400,
        "SQL text 1 already exists",
      ]);
    },
  );

  libsqlTest(
    "get_autocommit and is_autocommit exist on v3 only",
    async (fx) => {
      const onV2 = await fx.post("/v2/pipeline", {
        baton: null,
        requests: [{ type: "get_autocommit" }],
      });
      assert.equal(onV2.status, 400);

      const answer = pipelineAnswer(
        await fx.post("/v3/pipeline", {
          baton: null,
          requests: [
            { type: "get_autocommit" },
            execute("BEGIN"),
            { type: "get_autocommit" },
            {
              type: "batch",
              batch: {
                steps: [{
                  stmt: { sql: "SELECT 1" },
                  condition: { type: "is_autocommit" },
                }],
              },
            },
            close,
          ],
        }),
      );
      assert.equal(okResponse(answer, 0).is_autocommit, true);
      assert.equal(okResponse(answer, 2).is_autocommit, false);
      assert.deepEqual(okResponse(answer, 3).result, {
        step_results: [null],
        step_errors: [null],
      });
    },
  );

  libsqlTest(
    "describe reports parameters, columns and whether a statement writes",
    async (fx) => {
      const describe = (sql: string) => ({ type: "describe", sql });
      const answer = pipelineAnswer(
        await fx.post("/v2/pipeline", {
          baton: null,
          requests: [
            execute("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)"),
            describe("SELECT id, body FROM t WHERE id = :id AND body = ?"),
            describe("INSERT INTO t (body) VALUES (?)"),
            describe("EXPLAIN SELECT 1"),
            close,
          ],
        }),
      );
      assert.deepEqual(okResponse(answer, 1).result, {
        params: [{ name: ":id" }, { name: null }],
        cols: [{ name: "id", decltype: "INTEGER" }, {
          name: "body",
          decltype: "TEXT",
        }],
        is_explain: false,
        is_readonly: true,
      });
      assert.deepEqual(okResponse(answer, 2).result, {
        params: [{ name: null }],
        cols: [],
        is_explain: false,
        is_readonly: false,
      });
      assert.match(
        JSON.stringify(okResponse(answer, 3).result),
        /"is_explain":true/,
      );
    },
  );

  libsqlTest("the v3 cursor answers one JSON entry per line", async (fx) => {
    const response = await fx.post("/v3/cursor", {
      baton: null,
      batch: {
        steps: [
          { stmt: { sql: "SELECT ? AS greeting", args: [text("hi")] } },
          { stmt: { sql: "SELECT * FROM nope" } },
        ],
      },
    });
    assert.deepEqual([response.status, response.contentType], [
      200,
      "text/plain",
    ]);
    const [head, ...entries] = response.text.trimEnd().split("\n")
      .map((line) => cursorLineSchema.parse(JSON.parse(line)));
    assert.deepEqual(entries.map((entry) => entry.type), [
      "step_begin",
      "row",
      "step_end",
      "step_error",
    ]);
    assert.deepEqual(entries[1]?.row, [text("hi")]);

    const closed = pipelineAnswer(
      await fx.post("/v3/pipeline", { baton: head?.baton, requests: [close] }),
    );
    assert.equal(closed.baton, null);
  });
}
