/**
 * Interactive transactions across streams: isolation, waiting for the write
 * lock instead of failing, sqld's answer to a stale snapshot, and expiry of a
 * stream left idle in the middle of a transaction.
 */
import assert from "node:assert/strict";
import { libsqlTest, nextEvent, rejectsWithCode } from "./libsql_harness.ts";

export function registerTransactionTests(): void {
  libsqlTest(
    "transaction('write') commits; other connections see nothing before that",
    async (fx) => {
      const db = fx.client();
      const other = fx.client();
      await db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)");

      const tx = await db.transaction("write");
      await tx.execute("INSERT INTO t (id) VALUES (1)");
      assert.equal(
        (await tx.execute("SELECT count(*) AS n FROM t")).rows[0]?.n,
        1,
      );
      assert.equal(
        (await other.execute("SELECT count(*) AS n FROM t")).rows[0]?.n,
        0,
      );
      await tx.commit();
      assert.equal(
        (await other.execute("SELECT count(*) AS n FROM t")).rows[0]?.n,
        1,
      );
    },
  );

  libsqlTest("transaction rollback() discards its writes", async (fx) => {
    const db = fx.client();
    await db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)");
    const tx = await db.transaction("write");
    await tx.batch([
      "INSERT INTO t (id) VALUES (1)",
      "INSERT INTO t (id) VALUES (2)",
    ]);
    await tx.rollback();
    assert.equal(
      (await db.execute("SELECT count(*) AS n FROM t")).rows[0]?.n,
      0,
    );
  });

  libsqlTest(
    "write transactions on different streams wait for each other instead of failing",
    async (fx) => {
      const first = fx.client();
      const second = fx.client();
      await first.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, who TEXT)");

      const tx1 = await first.transaction("write");
      await tx1.execute("INSERT INTO t (who) VALUES ('first')");
      const tx2 = await second.transaction("write");
      // BEGIN IMMEDIATE on the second stream has to wait for the first commit.
      const waiting = nextEvent(fx.server.events, "lock-wait");
      const blocked = tx2.execute("INSERT INTO t (who) VALUES ('second')");
      await waiting;
      await tx1.commit();
      await blocked;
      await tx2.commit();
      const rs = await first.execute("SELECT who FROM t ORDER BY id");
      assert.deepEqual(rs.rows.map((row) => row.who), ["first", "second"]);
    },
  );

  libsqlTest(
    "a transaction idle past streamIdleMs fails with STREAM_EXPIRED and frees its lock",
    async (fx) => {
      const db = fx.client();
      await db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)");
      const tx = await db.transaction("write");
      const expired = nextEvent(fx.server.events, "stream-expired");
      await tx.execute("INSERT INTO t (id) VALUES (1)");
      await expired;
      await rejectsWithCode(tx.execute("SELECT 1"), "STREAM_EXPIRED");
      tx.close();

      // The expired transaction was rolled back and no longer holds the write lock.
      const other = fx.client();
      await other.execute("INSERT INTO t (id) VALUES (2)");
      const rs = await other.execute("SELECT id FROM t");
      assert.deepEqual(rs.rows.map((row) => row.id), [2]);
    },
    { streamIdleMs: 150 },
  );

  libsqlTest(
    "a transaction closed without commit leaves nothing to the streams after it",
    async (fx) => {
      const db = fx.client();
      await db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)");
      // More abandoned transactions than the server keeps idle connections:
      // each one's connection goes back to the pool or is closed, and either
      // way its write and its lock are gone.
      for (let i = 1; i <= 6; i++) {
        const tx = await db.transaction("write");
        await tx.execute({ sql: "INSERT INTO t (id) VALUES (?)", args: [i] });
        tx.close();
      }
      const started = performance.now();
      await db.execute("INSERT INTO t (id) VALUES (100)");
      // A kept lock would have made this wait for the busy timeout (5 s).
      assert.ok(performance.now() - started < 1_000);
      const tx = await db.transaction("read");
      const rs = await tx.execute("SELECT id FROM t");
      tx.close();
      assert.deepEqual(rs.rows.map((row) => row.id), [100]);
    },
  );

  libsqlTest(
    "a deferred transaction with a stale snapshot gets SQLITE_BUSY, then carries on",
    async (fx) => {
      const db = fx.client();
      const other = fx.client();
      await db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)");

      const tx = await db.transaction("deferred");
      await tx.execute("SELECT count(*) FROM t");
      await other.execute("INSERT INTO t (id) VALUES (1)");
      // Like SQLite under sqld: the snapshot predates the other commit.
      await rejectsWithCode(
        tx.execute("INSERT INTO t (id) VALUES (2)"),
        "SQLITE_BUSY",
      );
      await tx.execute("INSERT INTO t (id) VALUES (3)");
      await tx.commit();

      const rs = await other.execute("SELECT id FROM t ORDER BY id");
      assert.deepEqual(rs.rows.map((row) => row.id), [1, 3]);
    },
  );
}
