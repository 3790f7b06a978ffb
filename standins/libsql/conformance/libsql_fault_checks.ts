import assert from "node:assert/strict";
import { LibsqlError } from "@libsql/client/web";
import { z } from "zod";
import { eventually } from "@herald/testing";
import { libsqlTest, rejectsWithCode } from "./libsql_harness.ts";

/**
 * The libSQL dev server's injected faults, seen through the official
 * `@libsql/client/web`: a failed call is sqld's 500 (the client's
 * SERVER_ERROR), a slow server answers late, and an outage refuses
 * connections on the port it keeps, rolls back what a stream held open, and
 * ends with the database as it was.
 */
const status = z.object({
  fail: z.number(),
  delay: z.number(),
  down: z.boolean(),
  downUntil: z.number().nullable(),
});

export function registerFaultTests(): void {
  libsqlTest(
    "a server failing every call answers the client's SERVER_ERROR and runs nothing",
    async (fx) => {
      const db = fx.client();
      await db.execute("CREATE TABLE t (v INTEGER)");
      fx.server.faults.set({ fail: 1 });
      await rejectsWithCode(
        db.execute("INSERT INTO t VALUES (1)"),
        "SERVER_ERROR",
      );
      await rejectsWithCode(
        db.batch(["INSERT INTO t VALUES (2)", "INSERT INTO t VALUES (3)"]),
        "SERVER_ERROR",
      );
      await fx.server.faults.clear();
      const rs = await db.execute("SELECT count(*) AS n FROM t");
      assert.equal(rs.rows[0]?.n, 0);
    },
  );

  libsqlTest(
    "a server failing a share of calls fails about that share",
    async (fx) => {
      const db = fx.client();
      fx.server.faults.set({ fail: 0.5 });
      let failed = 0;
      for (let i = 0; i < 200; i++) {
        await db.execute("SELECT 1").catch((error) => {
          assert.ok(error instanceof LibsqlError, String(error));
          assert.equal(error.code, "SERVER_ERROR");
          failed++;
        });
      }
      // Binomial(200, 0.5): outside 60–140 has a chance below 1e-8.
      assert.ok(failed > 60 && failed < 140, `${failed} of 200 failed`);
      fx.server.faults.set({ fail: 0 });
    },
  );

  libsqlTest(
    "a slow server answers each call no sooner than its delay",
    async (fx) => {
      const db = fx.client();
      fx.server.faults.set({ delay: 150 });
      const started = performance.now();
      await db.execute("SELECT 1");
      assert.ok(performance.now() - started >= 150);
      fx.server.faults.set({ delay: 0 });
    },
  );

  libsqlTest(
    "a server that is down keeps its port, rolls back open transactions and comes back with its data",
    async (fx) => {
      const db = fx.client();
      await db.execute("CREATE TABLE t (v INTEGER)");
      await db.execute("INSERT INTO t VALUES (1)");
      const tx = await db.transaction("write");
      await tx.execute("INSERT INTO t VALUES (2)");

      await fx.server.faults.down();
      await assert.rejects(db.execute("SELECT 1"), TypeError);
      assert.throws(
        () => Deno.listen({ hostname: "127.0.0.1", port: fx.server.port }),
        Deno.errors.AddrInUse,
      );
      await fx.server.faults.up();

      // The stream died with the server: its transaction is gone.
      await assert.rejects(tx.execute("INSERT INTO t VALUES (3)"));
      tx.close();
      const rs = await db.execute("SELECT v FROM t ORDER BY v");
      assert.deepEqual(rs.rows.map((row) => row.v), [1]);
    },
  );

  libsqlTest(
    "the faults answer over HTTP behind the token, and a timed outage ends by itself",
    async (fx) => {
      const db = fx.client({ authToken: "secret-token" });
      const call = (method: string, body?: unknown, token = "secret-token") =>
        fetch(`${fx.server.url}/dev/faults`, {
          method,
          headers: { authorization: `Bearer ${token}` },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      const refused = await call("GET", undefined, "wrong");
      assert.equal(refused.status, 401);
      await refused.body?.cancel();

      const set = status.parse(await (await call("POST", { fail: 1 })).json());
      assert.equal(set.fail, 1);
      await rejectsWithCode(db.execute("SELECT 1"), "SERVER_ERROR");
      assert.equal(status.parse(await (await call("DELETE")).json()).fail, 0);

      const down = status.parse(
        await (await call("POST", { down: 300 })).json(),
      );
      assert.equal(down.down, true);
      await eventually("libSQL to be down", async () => {
        try {
          await db.execute("SELECT 1");
          return null;
        } catch (error) {
          return error instanceof TypeError ? true : null;
        }
      });
      await eventually("libSQL to come back by itself", async () => {
        try {
          return await db.execute("SELECT 1");
        } catch {
          return null;
        }
      });
    },
    { authToken: "secret-token" },
  );
}
