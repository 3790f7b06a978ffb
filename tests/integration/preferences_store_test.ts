import assert from "node:assert/strict";
import { createClient } from "@libsql/client/web";
import { startLibsqlDevServer } from "../../src/dev/libsql/server.ts";
import { applyMigrations } from "../../src/dev/migrate.ts";
import { openDatabase } from "../../src/ports/database.ts";
import {
  acquireLeaseQuery,
  writePreferencesQuery,
} from "../../src/ports/preferences_store.ts";

/**
 * The folded preference write leases the reconcile only when its own
 * compare-and-set went in — checked against the Hrana server, as Workers
 * reach libSQL, since the guard rests on SQLite's `changes()`.
 */
Deno.test("a failed compare-and-set never takes the reconcile lease", async () => {
  const server = await startLibsqlDevServer({ port: 0, file: ":memory:" });
  const client = createClient({ url: server.url });
  try {
    await applyMigrations(server.url);
    const db = openDatabase(client);
    const write = (expected: number, leaseId: string) =>
      db.batch([
        writePreferencesQuery(db, {
          userId: "ada",
          data: "{}",
          active: true,
          now: 1,
        }, expected),
        acquireLeaseQuery(db, "ada", leaseId, 1_000, 30_000, true),
      ]);
    const [created, first] = await write(0, "lease-1");
    assert.equal(created[0]?.version, 1);
    assert.equal(
      first[0]?.version,
      1,
      "the writer of version 1 holds the lease",
    );
    // Release it so only the guard can refuse the next ones.
    await client.execute(
      "update preferences set lease_id = null, lease_until = null",
    );

    const [conflict, none] = await write(0, "lease-2"); // insert again: conflict
    assert.deepEqual(conflict, []);
    assert.deepEqual(none, []);
    const [stale, none2] = await write(7, "lease-3"); // wrong version
    assert.deepEqual(stale, []);
    assert.deepEqual(none2, []);
    const lease = await client.execute("select lease_id from preferences");
    assert.equal(lease.rows[0]?.lease_id, null);

    const [updated, leased] = await write(1, "lease-4");
    assert.equal(updated[0]?.version, 2);
    assert.equal(leased[0]?.version, 2);
  } finally {
    client.close();
    await server.close();
  }
});
