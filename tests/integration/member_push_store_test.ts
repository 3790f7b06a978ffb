import assert from "node:assert/strict";
import { createClient } from "@libsql/client/web";
import { startLibsqlDevServer } from "@herald/standin-libsql";
import { applyMigrations } from "../../scripts/migrate.ts";
import { type Database, openDatabase } from "../../src/store/database.ts";
import { replaceMemberships } from "../../src/store/notifications/membership_store.ts";
import {
  forgetReached,
  memberPage,
  recordReached,
} from "../../src/store/push/member_push_store.ts";

/**
 * A broadcast's member page decides, in its one query, who the
 * notification is for — the inbox's rule, each member once across its
 * channels — and who it reached live: checked against the Hrana server, as
 * Workers reach libSQL.
 */
async function withDatabase(run: (db: Database) => Promise<void>) {
  const server = await startLibsqlDevServer({ port: 0, file: ":memory:" });
  const client = createClient({ url: server.url });
  try {
    await applyMigrations(server.url);
    await run(openDatabase(client));
  } finally {
    client.close();
    await server.close();
  }
}

const SENT = 1_000;

Deno.test("memberPage() pages a channel in id order, each member flagged by whether it is theirs and whether it reached them live", async () => {
  await withDatabase(async (db) => {
    await replaceMemberships(db, "ann", ["role:a", "role:b"], SENT - 10);
    await replaceMemberships(db, "bob", ["role:a"], SENT);
    await replaceMemberships(db, "cat", ["role:a"], SENT + 1);
    await replaceMemberships(db, "dan", ["role:b"], SENT - 10);
    await replaceMemberships(db, "eve", ["role:a"], SENT - 5);
    await replaceMemberships(db, "eve", ["role:a", "role:b"], SENT + 5);
    await replaceMemberships(db, "fay", ["role:b"], SENT - 1);
    await replaceMemberships(db, "fay", ["role:a", "role:b"], SENT + 1);
    await recordReached(db, "ntf_1", ["bob", "dan"]);
    await recordReached(db, "ntf_2", ["ann"]);
    const page = (channel: string, after: string | null, limit = 10) =>
      memberPage(db, {
        notificationId: "ntf_1",
        createdAt: SENT,
        channel,
        earlier: channel === "role:b" ? ["role:a"] : [],
        after,
        limit,
      });
    assert.deepEqual(await page("role:a", null, 2), [
      { userId: "ann", holds: true, reached: false },
      { userId: "bob", holds: true, reached: true },
    ]);
    assert.deepEqual(await page("role:a", "bob"), [
      // Joined after the send: not theirs.
      { userId: "cat", holds: false, reached: false },
      { userId: "eve", holds: true, reached: false },
      { userId: "fay", holds: false, reached: false },
    ]);
    assert.deepEqual(await page("role:b", null), [
      // Held through role:a, paged before: pushed there, not twice.
      { userId: "ann", holds: false, reached: false },
      { userId: "dan", holds: true, reached: true },
      // Held through role:a (paged already), not through role:b yet.
      { userId: "eve", holds: false, reached: false },
      // Holds role:b only: role:a came after the send.
      { userId: "fay", holds: true, reached: false },
    ]);
    await forgetReached(db, ["ntf_1"]);
    assert.deepEqual(
      (await page("role:b", null)).map((r) => r.reached),
      [false, false, false, false],
    );
  });
});
