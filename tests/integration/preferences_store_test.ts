import assert from "node:assert/strict";
import { type Client, createClient } from "@libsql/client/web";
import { startLibsqlDevServer } from "@herald/standin-libsql";
import { applyMigrations } from "../../scripts/migrate.ts";
import { DEMO_SEED } from "@herald/dev";
import {
  decodeOverrides,
  encodeOverrides,
  encodePatch,
} from "../../src/domain/preferences/preference_overrides.ts";
import type { PreferencesPatch } from "../../src/domain/preferences/preferences.ts";
import { type Database, openDatabase } from "../../src/store/database.ts";
import {
  markMovedQuery,
  savePreferencesQuery,
  usersMovedPage,
} from "../../src/store/preferences/preferences_store.ts";

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
    await applyMigrations(server.url, { seed: DEMO_SEED });
    await run(openDatabase(client), client);
  } finally {
    client.close();
    await server.close();
  }
}

function merge(db: Database, userId: string, patch: PreferencesPatch) {
  return savePreferencesQuery(db, {
    userId,
    write: { mode: "merge", patch: encodePatch(patch) },
    lease: { id: crypto.randomUUID(), until: 30_001 },
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

Deno.test("a write takes the reconcile lease when it is free, never when it is held or the write changed nothing", async () => {
  await withDatabase(async (db, client) => {
    const save = (leaseId: string, timezone: string, now = 1_000) =>
      savePreferencesQuery(db, {
        userId: "ada",
        write: { mode: "merge", patch: encodePatch({ timezone }) },
        lease: { id: leaseId, until: now + 30_000 },
        now,
      });
    const [created] = await save("lease-1", "Europe/Paris");
    assert.equal(created?.version, 1);
    assert.equal(created?.previousData, null);
    assert.equal(created?.leaseId, "lease-1", "the first writer holds it");
    const [second] = await save("lease-2", "Europe/Rome");
    assert.equal(second?.version, 2);
    assert.equal(second?.leaseId, "lease-1", "still held: not taken");
    // Released (or run out), the next changing write takes it...
    await client.execute(
      "update preferences set lease_id = null, lease_until = null",
    );
    assert.deepEqual(await save("lease-3", "Europe/Rome"), []);
    const lease = await client.execute("select lease_id from preferences");
    assert.equal(lease.rows[0]?.lease_id, null, "a no-op takes nothing");
    const [third] = await save("lease-4", "Europe/Berlin");
    assert.equal(third?.leaseId, "lease-4");
    // ...as does one that comes after the holder's lease ran out.
    const [fourth] = await save("lease-5", "Europe/Madrid", 40_000);
    assert.equal(fourth?.leaseId, "lease-5");
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
        lease: { id: crypto.randomUUID(), until: 30_001 },
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

Deno.test("a catalogue change moves exactly the users who follow what changed, a page at a time", async () => {
  await withDatabase(async (db, client) => {
    const users: Record<string, PreferencesPatch> = {
      follows: {},
      ownTimes: { types: { morningDigest: { times: ["06:00"] } } },
      switchedOff: { types: { morningDigest: { enabled: false } } },
      allOff: { enabled: false },
      ownDays: { types: { morningDigest: { days: ["sat"] } } },
    };
    for (const [userId, patch] of Object.entries(users)) {
      await merge(db, userId, patch);
    }
    // Choices kept from an earlier "promo" type.
    await client.execute(
      `insert into preferences (user_id, version, data, active, updated_at)
       values ('oldPromoFan', 1, '{"types":{"promo":{"enabled":true}}}', 1, 0)`,
    );
    const digest = {
      enabled: true,
      times: ["08:00"],
      days: ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const,
      critical: false,
    };
    const shape = { ...digest, days: [...digest.days] };
    const moved = async (
      before: typeof shape | null,
      after: typeof shape | null,
      type = "morningDigest",
    ) => {
      const all: string[] = [];
      let after_: string | null = null;
      for (;;) {
        const page = await usersMovedPage(
          db,
          { type, before, after },
          after_,
          2,
        );
        all.push(...page);
        if (page.length < 2) return all;
        after_ = page.at(-1) ?? null;
      }
    };
    assert.deepEqual(
      await moved(shape, { ...shape, times: ["07:00"] }),
      ["follows", "oldPromoFan", "ownDays"],
    );
    assert.deepEqual(
      await moved(shape, { ...shape, days: ["mon"] }),
      ["follows", "oldPromoFan", "ownTimes"],
    );
    assert.deepEqual(
      await moved(shape, { ...shape, enabled: false }),
      ["follows", "oldPromoFan", "ownDays", "ownTimes"],
    );
    assert.deepEqual(
      await moved(shape, { ...shape, critical: true }),
      ["allOff", "switchedOff"],
    );
    assert.deepEqual(
      await moved(shape, null),
      ["follows", "oldPromoFan", "ownDays", "ownTimes"],
    );
    assert.deepEqual(
      await moved(null, { ...shape, enabled: false }, "promo"),
      ["oldPromoFan"],
    );
  });
});

Deno.test("marking moved users gives them a new version, pending, and 'active' as the catalogue now says", async () => {
  await withDatabase(async (db, client) => {
    await merge(db, "ada", {
      types: {
        morningDigest: { enabled: false },
        taskReminder: { enabled: false },
        weeklyReport: { enabled: false },
      },
    });
    await client.execute(
      "update preferences set sync_status = 'synced' where user_id = 'ada'",
    );
    assert.equal(await activeOf(client, "ada"), false);
    // eveningSummary becomes on by default, behind the store's back.
    await client.execute(
      `update notification_types
       set definition = json_set(definition, '$.enabled', json('true'))
       where id = 'eveningSummary'`,
    );
    await markMovedQuery(db, ["ada"]);
    const row = await client.execute(
      "select version, sync_status from preferences where user_id = 'ada'",
    );
    assert.equal(row.rows[0]?.version, 2);
    assert.equal(row.rows[0]?.sync_status, "pending");
    assert.equal(await activeOf(client, "ada"), true);
  });
});

Deno.test("a critical type makes a user active even with notifications off", async () => {
  await withDatabase(async (db, client) => {
    await merge(db, "ada", { enabled: false });
    assert.equal(await activeOf(client, "ada"), false);
    await client.execute(
      `update notification_types
       set definition = json_set(definition, '$.critical', json('true'))
       where id = 'weeklyReport'`,
    );
    await merge(db, "ada", { timezone: "Asia/Tokyo" });
    assert.equal(await activeOf(client, "ada"), true);
  });
});
