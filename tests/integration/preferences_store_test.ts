import assert from "node:assert/strict";
import { type Client, createClient } from "@libsql/client/web";
import { startLibsqlDevServer } from "../../src/dev/libsql/server.ts";
import { applyMigrations } from "../../src/dev/migrate.ts";
import {
  activeDefaultsJson,
  decodeOverrides,
  encodeOverrides,
  encodePatch,
} from "../../src/domain/preference_overrides.ts";
import type { PreferencesPatch } from "../../src/domain/preferences.ts";
import { type Database, openDatabase } from "../../src/ports/database.ts";
import {
  acquireLeaseQuery,
  savePreferencesQuery,
} from "../../src/ports/preferences_store.ts";

/**
 * The preference write is one upsert that SQLite applies under its write
 * lock — checked against the Hrana server, as Workers reach libSQL, since
 * the merge is SQLite's json_patch and the lease guard its `changes()`.
 */
async function withDatabase(
  run: (db: Database, client: Client) => Promise<void>,
) {
  const server = await startLibsqlDevServer({ port: 0, file: ":memory:" });
  const client = createClient({ url: server.url });
  try {
    await applyMigrations(server.url);
    await run(openDatabase(client), client);
  } finally {
    client.close();
    await server.close();
  }
}

const defaults = activeDefaultsJson();

function merge(db: Database, userId: string, patch: PreferencesPatch) {
  return savePreferencesQuery(db, {
    userId,
    write: { mode: "merge", patch: encodePatch(patch) },
    defaults,
    now: 1,
  });
}

async function activeOf(client: Client, userId: string) {
  const rows = await client.execute({
    sql: "select active from preferences where user_id = ?",
    args: [userId],
  });
  return rows.rows[0]?.active === 1;
}

Deno.test("a write that changes nothing saves nothing and takes no lease", async () => {
  await withDatabase(async (db, client) => {
    const write = (leaseId: string) =>
      db.batch([
        merge(db, "ada", { timezone: "Europe/Paris" }),
        acquireLeaseQuery(db, "ada", leaseId, 1_000, 30_000, true),
      ]);
    const [created, first] = await write("lease-1");
    assert.equal(created[0]?.version, 1);
    assert.equal(created[0]?.previousData, null);
    assert.equal(first[0]?.version, 1, "the writer of version 1 holds it");
    // Released, so only the guard can refuse the next one.
    await client.execute(
      "update preferences set lease_id = null, lease_until = null",
    );
    const [same, none] = await write("lease-2");
    assert.deepEqual(same, []);
    assert.deepEqual(none, []);
    const lease = await client.execute("select lease_id from preferences");
    assert.equal(lease.rows[0]?.lease_id, null);
  });
});

Deno.test("a merge keeps what it does not name and returns the version before it", async () => {
  await withDatabase(async (db) => {
    await merge(db, "ada", {
      timezone: "Europe/Paris",
      quietHours: { start: "22:00", end: "07:00" },
    });
    const [row] = await merge(db, "ada", {
      types: { taskReminder: { times: ["09:00"] } },
    });
    assert.equal(row?.version, 2);
    assert.deepEqual(decodeOverrides(row?.previousData ?? ""), {
      timezone: "Europe/Paris",
      quietHours: { start: "22:00", end: "07:00" },
    });
    assert.deepEqual(decodeOverrides(row?.data ?? ""), {
      timezone: "Europe/Paris",
      types: { taskReminder: { times: ["09:00"] } },
      quietHours: { start: "22:00", end: "07:00" },
    });
    // Null clears the window: back to the default, none.
    const [cleared] = await merge(db, "ada", { quietHours: null });
    assert.deepEqual(decodeOverrides(cleared?.data ?? ""), {
      timezone: "Europe/Paris",
      types: { taskReminder: { times: ["09:00"] } },
    });
  });
});

Deno.test("50 concurrent merges are applied one after another, none lost, none retried", async () => {
  await withDatabase(async (db, client) => {
    await merge(db, "ada", { timezone: "UTC" });
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        i % 2
          ? merge(db, "ada", {
            types: {
              taskReminder: { times: [`10:${String(i).padStart(2, "0")}`] },
            },
          })
          : merge(db, "ada", { enabled: i % 4 === 0 })),
    );
    const versions = results.map(([row]) => row?.version ?? 0);
    // A merge that changed nothing (enabled set to what it already was)
    // returns nothing; every other one got a version of its own.
    const written = versions.filter((v) => v > 0).sort((a, b) => a - b);
    assert.equal(new Set(written).size, written.length);
    assert.equal(written.at(-1), written.length + 1);
    const last = await client.execute(
      "select version, data from preferences where user_id = 'ada'",
    );
    assert.equal(last.rows[0]?.version, written.length + 1);
    const stored = decodeOverrides(String(last.rows[0]?.data));
    assert.equal(stored.timezone, "UTC", "an untouched field survives");
    assert.ok(stored.types?.taskReminder?.times?.[0]?.startsWith("10:"));
  });
});

Deno.test("a replacement is stored as given, and 'active' follows the catalogue's defaults", async () => {
  await withDatabase(async (db, client) => {
    const replace = (json: string) =>
      savePreferencesQuery(db, {
        userId: "bo",
        write: { mode: "replace", json },
        defaults,
        now: 1,
      });
    // Nothing said: morningDigest is on by default, so the user is active.
    await replace(encodeOverrides({}));
    assert.equal(await activeOf(client, "bo"), true);
    await replace(encodeOverrides({ enabled: false }));
    assert.equal(await activeOf(client, "bo"), false);
    const everyTypeOff = {
      morningDigest: { enabled: false },
      taskReminder: { enabled: false },
      eveningSummary: { enabled: false },
      weeklyReport: { enabled: false },
    };
    await replace(encodeOverrides({ enabled: true, types: everyTypeOff }));
    assert.equal(await activeOf(client, "bo"), false);
    await merge(db, "bo", { types: { eveningSummary: { enabled: true } } });
    assert.equal(await activeOf(client, "bo"), true);
  });
});
