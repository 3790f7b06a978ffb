/**
 * The libSQL dev server, driven by the official `@libsql/client/web` (the
 * client Workers use) and drizzle. If these pass, Herald's database code sees
 * locally what it sees on Turso/sqld. The other libsql_*_checks.ts modules
 * hold the rest of the suite and are registered from here, so this file is
 * the one entry point: `deno test -A standins/libsql/conformance/libsql_test.ts`.
 */
// @std/assert is not in the offline cache; node:assert ships with Deno.
import assert from "node:assert/strict";
import { z } from "zod";
import { libsqlTest, rejectsWithCode } from "./libsql_harness.ts";
import { registerTransactionTests } from "./libsql_transaction_checks.ts";
import { registerDrizzleTests } from "./libsql_drizzle_checks.ts";
import { registerFaultTests } from "./libsql_fault_checks.ts";
import { registerProtocolTests } from "./libsql_protocol_checks.ts";
import { registerRequestTests } from "./libsql_request_checks.ts";

libsqlTest(
  "the dev stats count every statement the client runs, and the writes among them",
  async (fx) => {
    const stats = async () => {
      const res = await fetch(`${fx.server.url}/dev/stats`);
      return z.object({ statements: z.number(), writes: z.number() })
        .parse(await res.json());
    };
    const db = fx.client();
    await db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER)");
    const before = await stats();
    await db.batch([
      "INSERT INTO t (n) VALUES (1)",
      "UPDATE t SET n = n + 1",
      "SELECT n FROM t",
    ], "write");
    await db.execute("SELECT count(*) FROM t");
    const after = await stats();
    // BEGIN and COMMIT around the batch are not statements of the app's.
    assert.deepEqual({
      statements: after.statements - before.statements,
      writes: after.writes - before.writes,
    }, { statements: 4, writes: 2 });
  },
);

libsqlTest(
  "execute() binds positional and named arguments and names columns",
  async (fx) => {
    const db = fx.client();
    await db.execute(
      "CREATE TABLE notes (id INTEGER PRIMARY KEY, title TEXT, rank INTEGER)",
    );
    await db.execute({
      sql: "INSERT INTO notes (title, rank) VALUES (?, ?)",
      args: ["first", 1],
    });
    await db.execute({
      sql: "INSERT INTO notes (title, rank) VALUES (:title, @rank)",
      args: { title: "second", rank: 2 },
    });
    await db.execute({
      sql: "INSERT INTO notes (rank, title) VALUES (?2, ?1)",
      args: ["third", 3],
    });

    const rs = await db.execute({
      sql:
        "SELECT id, title AS label, rank FROM notes WHERE rank >= $min ORDER BY id",
      args: { min: 1 },
    });
    assert.deepEqual(rs.columns, ["id", "label", "rank"]);
    assert.deepEqual(rs.columnTypes, ["INTEGER", "TEXT", "INTEGER"]);
    assert.deepEqual(rs.rows.map((row) => [row.label, row.rank]), [
      ["first", 1],
      ["second", 2],
      ["third", 3],
    ]);
  },
);

libsqlTest(
  "execute() reports rowsAffected and lastInsertRowid for writes only",
  async (fx) => {
    const db = fx.client();
    await db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)");
    const insert = await db.execute(
      "INSERT INTO t (id, v) VALUES (41, 1), (42, 2)",
    );
    assert.equal(insert.rowsAffected, 2);
    assert.equal(insert.lastInsertRowid, 42n);

    const update = await db.execute("UPDATE t SET v = v + 1");
    assert.equal(update.rowsAffected, 2);
    assert.equal(update.lastInsertRowid, undefined);

    const select = await db.execute("SELECT * FROM t");
    assert.equal(select.rowsAffected, 0);

    const returning = await db.execute(
      "DELETE FROM t WHERE id = 41 RETURNING v",
    );
    assert.equal(returning.rowsAffected, 1);
    assert.deepEqual(returning.rows.map((row) => row.v), [2]);
  },
);

libsqlTest(
  "every value type round-trips, 64-bit integers included",
  async (fx) => {
    const db = fx.client({ intMode: "bigint" });
    await db.execute("CREATE TABLE v (i INTEGER, f REAL, t TEXT, b BLOB, n)");
    const big = 2n ** 53n + 1n;
    const bytes = new Uint8Array([0, 1, 127, 128, 254, 255]);
    const unicode = 'héllo, 世界 🎉 "quoted" \\ back';
    await db.execute({
      sql: "INSERT INTO v VALUES (?, ?, ?, ?, ?)",
      args: [big, 3.25, unicode, bytes, null],
    });

    const rs = await db.execute(
      "SELECT i, f, t, b, n, typeof(i) AS ti, typeof(b) AS tb FROM v",
    );
    const row = rs.rows[0];
    assert.ok(row);
    assert.equal(row.i, big);
    assert.equal(row.f, 3.25);
    assert.equal(row.t, unicode);
    assert.ok(row.b instanceof ArrayBuffer);
    assert.deepEqual(new Uint8Array(row.b), bytes);
    assert.equal(row.n, null);
    assert.deepEqual([row.ti, row.tb], ["integer", "blob"]);

    const limits = await db.execute({
      sql: "SELECT ? AS lo, ? AS hi",
      args: [-(2n ** 63n), 2n ** 63n - 1n],
    });
    assert.deepEqual([limits.rows[0]?.lo, limits.rows[0]?.hi], [
      -(2n ** 63n),
      2n ** 63n - 1n,
    ]);
  },
);

libsqlTest(
  "JS numbers arrive as floats yet behave as integers where SQLite coerces",
  async (fx) => {
    const db = fx.client();
    await db.execute("CREATE TABLE n (id INTEGER PRIMARY KEY, qty INTEGER)");
    await db.execute({ sql: "INSERT INTO n (qty) VALUES (?)", args: [5] });
    const stored = await db.execute("SELECT qty, typeof(qty) AS kind FROM n");
    assert.deepEqual([stored.rows[0]?.qty, stored.rows[0]?.kind], [
      5,
      "integer",
    ]);

    const limited = await db.execute({
      sql:
        "SELECT value FROM (SELECT 1 AS value UNION ALL SELECT 2 UNION ALL SELECT 3) LIMIT ?",
      args: [2],
    });
    assert.equal(limited.rows.length, 2);

    const bound = await db.execute({
      sql: "SELECT typeof(?) AS kind",
      args: [2],
    });
    assert.equal(
      bound.rows[0]?.kind,
      "real",
      "sqld binds a float value as REAL",
    );
  },
);

libsqlTest(
  "batch() in write mode commits every statement together",
  async (fx) => {
    const db = fx.client();
    const results = await db.batch([
      "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)",
      { sql: "INSERT INTO t (v) VALUES (?)", args: ["a"] },
      { sql: "INSERT INTO t (v) VALUES (?)", args: ["b"] },
      "SELECT count(*) AS n FROM t",
    ], "write");
    assert.equal(results.length, 4);
    assert.equal(results[2]?.lastInsertRowid, 2n);
    assert.equal(results[3]?.rows[0]?.n, 2);
  },
);

libsqlTest(
  "batch() rolls back the whole batch when one statement fails",
  async (fx) => {
    const db = fx.client();
    await db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)");
    await db.execute("INSERT INTO t (id) VALUES (1)");

    await rejectsWithCode(
      db.batch([
        "INSERT INTO t (id) VALUES (2)",
        "INSERT INTO t (id) VALUES (1)",
      ], "write"),
      "SQLITE_CONSTRAINT",
    );
    await rejectsWithCode(
      db.batch(
        ["INSERT INTO t (id) VALUES (3)", "INSERT INTO t VALUES ("],
        "write",
      ),
      "SQL_PARSE_ERROR",
    );
    const rs = await db.execute("SELECT id FROM t");
    assert.deepEqual(rs.rows.map((row) => row.id), [1]);
  },
);

libsqlTest(
  "executeMultiple() runs a script, trigger bodies and quoted semicolons included",
  async (fx) => {
    const db = fx.client();
    await db.executeMultiple(`
    CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT);
    CREATE TABLE audit (item_id INTEGER, note TEXT);
    CREATE TRIGGER items_audit AFTER INSERT ON items BEGIN
      INSERT INTO audit VALUES (new.id, 'created; ok');
      INSERT INTO audit VALUES (new.id, CASE WHEN new.name IS NULL THEN 'none' ELSE 'named' END);
    END;
    -- a comment; with a semicolon
    INSERT INTO items (name) VALUES ('a;b');
  `);
    const audit = await db.execute("SELECT note FROM audit ORDER BY rowid");
    assert.deepEqual(audit.rows.map((row) => row.note), [
      "created; ok",
      "named",
    ]);

    // sqld parses the whole script first: a syntax error anywhere runs nothing.
    await rejectsWithCode(
      db.executeMultiple("INSERT INTO items (name) VALUES ('x'); SELEC 1;"),
      "SQL_PARSE_ERROR",
    );
    await rejectsWithCode(
      db.executeMultiple(
        "INSERT INTO items (name) VALUES ('y'); INSERT INTO nope VALUES (1);",
      ),
      "SQLITE_UNKNOWN",
    );
    const names = await db.execute("SELECT name FROM items ORDER BY id");
    assert.deepEqual(names.rows.map((row) => row.name), ["a;b", "y"]);
  },
);

libsqlTest(
  "SQL errors surface as LibsqlError with sqld's codes",
  async (fx) => {
    const db = fx.client();
    await db.execute(
      "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)",
    );
    await db.execute("INSERT INTO t VALUES (1, 'x')");

    await rejectsWithCode(db.execute("SELEC * FROM t"), "SQL_PARSE_ERROR");
    await rejectsWithCode(
      db.execute("INSERT INTO t VALUES (1, 'again')"),
      "SQLITE_CONSTRAINT",
    );
    await rejectsWithCode(
      db.execute("INSERT INTO t (id) VALUES (2)"),
      "SQLITE_CONSTRAINT",
    );
    await rejectsWithCode(
      db.execute("SELECT * FROM missing"),
      "SQLITE_UNKNOWN",
    );
    await rejectsWithCode(
      db.execute({ sql: "SELECT ?", args: [1, 2] }),
      "ARGS_INVALID",
    );
    await rejectsWithCode(
      db.execute({ sql: "SELECT ?, ?", args: [1] }),
      "ARGS_INVALID",
    );
    await rejectsWithCode(
      db.execute({ sql: "SELECT :a", args: { b: 1 } }),
      "ARGS_INVALID",
    );
    await rejectsWithCode(
      db.execute("SELECT 1; SELECT 2"),
      "SQL_MANY_STATEMENTS",
    );
    await rejectsWithCode(db.execute("  -- nothing here"), "SQL_NO_STATEMENT");
    await assert.rejects(
      db.execute("SELECT 1; SELECT 2"),
      /SQL string contains more than one statement/,
    );
  },
);

libsqlTest(
  "an auth token, when configured, is required and must match",
  async (fx) => {
    const authorized = fx.client({ authToken: "s3cret-token" });
    assert.equal((await authorized.execute("SELECT 1 AS one")).rows[0]?.one, 1);

    await rejectsWithCode(
      fx.client({ authToken: "wrong" }).execute("SELECT 1"),
      "SERVER_ERROR",
    );
    await rejectsWithCode(fx.client().execute("SELECT 1"), "SERVER_ERROR");
    await assert.rejects(fx.client().execute("SELECT 1"), /401/);
  },
  { authToken: "s3cret-token" },
);

registerTransactionTests();
registerDrizzleTests();
registerProtocolTests();
registerRequestTests();
registerFaultTests();
