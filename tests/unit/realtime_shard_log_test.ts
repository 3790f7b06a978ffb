import assert from "node:assert/strict";
import {
  MemoryShardLog,
  type ShardLog,
} from "../../src/realtime/core/shard_log.ts";
import { SqliteShardLog } from "../../src/realtime/object/sqlite_shard_log.ts";
import { sqliteExec } from "../support/sqlite_exec.ts";

/** Every case runs on both logs: the Deno hub's and the shard objects'. */
const logs: [string, () => { log: ShardLog; done(): void }][] = [
  [
    "MemoryShardLog",
    () => ({ log: new MemoryShardLog("Epoch_01"), done() {} }),
  ],
  ["SqliteShardLog", () => {
    const sql = sqliteExec();
    return { log: new SqliteShardLog(sql), done: () => sql.close() };
  }],
];

/** Event n is sent at n × 1,000 ms (Herald's clock). */
const event = (audience: string, n: number, key: string | null = null) => ({
  audience,
  key,
  event: "notification",
  data: `{"n":${n}}`,
  sentAt: n * 1_000,
});
/** `log.after()` for audiences each held since 0: everything. */
const afterIn = (log: ShardLog, afterSeq: number, audiences: string[]) =>
  log.after(
    afterSeq,
    audiences.map((audience) => ({ audience, since: 0 })),
    0,
  );
const seqs = (events: { seq: number }[]) => events.map((e) => e.seq);

for (const [name, make] of logs) {
  Deno.test(`${name}: one sequence for every audience, read back per audience`, () => {
    const { log, done } = make();
    assert.deepEqual(log.lastSeq, 0);
    assert.deepEqual(log.append(event("user:a", 1), 10), 1);
    assert.deepEqual(log.append(event("role:r", 2), 10), 2);
    assert.deepEqual(log.append(event("user:b", 3), 10), 3);
    assert.deepEqual(log.append(event("user:a", 4), 10), 4);
    assert.deepEqual(log.lastSeq, 4);
    assert.deepEqual(log.size(), 4);
    assert.deepEqual(seqs(afterIn(log, 0, ["user:a", "role:r"])), [1, 2, 4]);
    assert.deepEqual(seqs(afterIn(log, 2, ["user:a", "role:r"])), [4]);
    assert.deepEqual(afterIn(log, 0, ["user:a"])[0], {
      seq: 1,
      audience: "user:a",
      event: "notification",
      data: '{"n":1}',
    });
    assert.deepEqual(afterIn(log, 0, []), []);
    done();
  });

  Deno.test(`${name}: an event is replayed until its expiry, never after`, () => {
    const { log, done } = make();
    log.append({ ...event("user:a", 1), expiresAt: 5_000 }, 10);
    log.append(event("user:a", 2), 10);
    log.append({ ...event("role:r", 3), expiresAt: 9_000 }, 10);
    const held = [{ audience: "user:a", since: 0 }, {
      audience: "role:r",
      since: 0,
    }];
    assert.deepEqual(seqs(log.after(0, held, 4_999)), [1, 2, 3]);
    assert.deepEqual(seqs(log.after(0, held, 5_000)), [2, 3]);
    assert.deepEqual(seqs(log.after(0, held, 9_000)), [2]);
    done();
  });

  Deno.test(`${name}: a held audience replays only what was sent to it since it was held`, () => {
    const { log, done } = make();
    // Sent at 1 s, 2 s, … (event n at n × 1,000 ms).
    for (let n = 1; n <= 3; n++) log.append(event("role:r", n), 10);
    log.append(event("user:a", 4), 10);
    log.append(event("role:r", 5), 10);
    const held = [
      { audience: "user:a", since: 0 },
      { audience: "role:r", since: 3_000 },
    ];
    // Joined at 3 s: the role's events from 3 s on, all of the user's own.
    assert.deepEqual(seqs(log.after(0, held, 0)), [3, 4, 5]);
    assert.deepEqual(seqs(log.after(3, held, 0)), [4, 5]);
    // Joined after everything: nothing of the role, whatever the cursor.
    assert.deepEqual(
      seqs(log.after(0, [{ audience: "role:r", since: 6_000 }], 0)),
      [],
    );
    done();
  });

  Deno.test(`${name}: each audience keeps its own last events; trimming is remembered`, () => {
    const { log, done } = make();
    for (let n = 1; n <= 5; n++) log.append(event("role:busy", n), 3);
    log.append(event("user:quiet", 6), 3);
    assert.deepEqual(seqs(afterIn(log, 0, ["role:busy"])), [3, 4, 5]);
    assert.deepEqual(seqs(afterIn(log, 0, ["user:quiet"])), [6]);
    assert.deepEqual(log.trimmedThrough(["role:busy"]), 2);
    assert.deepEqual(log.trimmedThrough(["user:quiet"]), 0);
    assert.deepEqual(log.trimmedThrough(["user:quiet", "role:busy"]), 2);
    assert.deepEqual(log.size(), 4);
    done();
  });

  Deno.test(`${name}: keys are per audience and forgotten with their event`, () => {
    const { log, done } = make();
    log.append(event("user:a", 1, "k1"), 2);
    log.append(event("user:b", 2, "k1"), 2);
    assert.deepEqual(log.seqOfKey("user:a", "k1"), 1);
    assert.deepEqual(log.seqOfKey("user:b", "k1"), 2);
    assert.deepEqual(log.seqOfKey("user:c", "k1"), null);
    log.append(event("user:a", 3, "k3"), 2);
    log.append(event("user:a", 4, "k4"), 2);
    assert.deepEqual(log.seqOfKey("user:a", "k1"), null);
    assert.deepEqual(log.seqOfKey("user:a", "k4"), 4);
    done();
  });
}

Deno.test("SqliteShardLog comes back after eviction with its epoch, last seq and counts", () => {
  const sql = sqliteExec();
  const before = new SqliteShardLog(sql);
  for (let n = 1; n <= 4; n++) before.append(event("user:a", n), 3);
  // A new instance over the same rows: what a woken object constructs.
  const after = new SqliteShardLog(sql);
  assert.deepEqual(after.epoch, before.epoch);
  assert.deepEqual(after.lastSeq, 4);
  assert.deepEqual(after.append(event("user:a", 5), 3), 5);
  assert.deepEqual(seqs(afterIn(after, 0, ["user:a"])), [3, 4, 5]);
  assert.deepEqual(after.trimmedThrough(["user:a"]), 2);
  sql.close();
});

Deno.test("SqliteShardLog adds the send time to a log made before it: old events count as sent at 0", () => {
  const sql = sqliteExec();
  sql.exec(`CREATE TABLE herald_events (
    seq INTEGER PRIMARY KEY, audience TEXT NOT NULL, key TEXT,
    event TEXT NOT NULL, data TEXT NOT NULL)`);
  sql.exec(
    "INSERT INTO herald_events (seq, audience, key, event, data) VALUES (1, 'role:r', NULL, 'notification', '{}')",
  );
  const log = new SqliteShardLog(sql);
  assert.deepEqual(log.append(event("role:r", 2), 10), 2);
  assert.deepEqual(
    seqs(log.after(0, [{ audience: "role:r", since: 0 }], 0)),
    [1, 2],
  );
  assert.deepEqual(
    seqs(log.after(0, [{ audience: "role:r", since: 1 }], 0)),
    [2],
  );
  sql.close();
});

Deno.test("SqliteShardLog never reuses a seq, even when every event was trimmed", () => {
  const sql = sqliteExec();
  const log = new SqliteShardLog(sql);
  log.append(event("user:a", 1), 1);
  log.append(event("user:a", 2), 1);
  sql.exec("DELETE FROM herald_events");
  assert.deepEqual(new SqliteShardLog(sql).lastSeq, 1);
  sql.close();
});
