import type { SqlStorage } from "@cloudflare/workers-types";
import { isEpoch, newEpoch } from "./cursor.ts";
import type { LoggedEvent, ReplayLog } from "./replay_log.ts";
import type { LogBounds } from "./resume_plan.ts";

type EventRow = { seq: number; key: string | null; body: string };

/**
 * The replay log in a Durable Object's SQLite. Reads and writes are
 * synchronous (the database lives in the object), which is what lets a
 * subscriber read its replay and join the live set in one turn. Seqs are
 * contiguous, so bounds are kept in memory and only the rows hit SQLite:
 * one INSERT per publish, plus one DELETE once the log is full.
 */
export class SqliteReplayLog implements ReplayLog {
  readonly epoch: string;
  readonly #sql: SqlStorage;
  #firstSeq: number;
  #lastSeq: number;

  /** Creates the tables on first use; reloads bounds and epoch after. */
  constructor(sql: SqlStorage) {
    this.#sql = sql;
    sql.exec(`CREATE TABLE IF NOT EXISTS herald_meta (
      k TEXT PRIMARY KEY, v TEXT NOT NULL)`);
    sql.exec(`CREATE TABLE IF NOT EXISTS herald_events (
      seq INTEGER PRIMARY KEY, key TEXT UNIQUE, body TEXT NOT NULL)`);
    this.epoch = readMeta(sql, "epoch") ?? writeMeta(sql, "epoch", newEpoch());
    if (!isEpoch(this.epoch)) {
      throw new Error(`Stored epoch "${this.epoch}" is malformed`);
    }
    const row = sql.exec<{ first: number | null; last: number | null }>(
      "SELECT min(seq) AS first, max(seq) AS last FROM herald_events",
    ).one();
    this.#lastSeq = row.last ?? 0;
    this.#firstSeq = row.first ?? this.#lastSeq + 1;
  }

  bounds(): LogBounds {
    return { firstSeq: this.#firstSeq, lastSeq: this.#lastSeq };
  }

  size(): number {
    return this.#lastSeq - this.#firstSeq + 1;
  }

  seqOfKey(key: string): number | null {
    const rows = this.#sql.exec<{ seq: number }>(
      "SELECT seq FROM herald_events WHERE key = ?",
      key,
    ).toArray();
    return rows[0]?.seq ?? null;
  }

  append(event: LoggedEvent, capacity: number): void {
    this.#sql.exec(
      "INSERT INTO herald_events (seq, key, body) VALUES (?, ?, ?)",
      event.seq,
      event.key,
      event.body,
    );
    this.#lastSeq = event.seq;
    const keepFrom = this.#lastSeq - capacity + 1;
    if (keepFrom > this.#firstSeq) {
      this.#sql.exec("DELETE FROM herald_events WHERE seq < ?", keepFrom);
      this.#firstSeq = keepFrom;
    }
  }

  *after(afterSeq: number): Iterable<LoggedEvent> {
    yield* this.#sql.exec<EventRow>(
      "SELECT seq, key, body FROM herald_events WHERE seq > ? ORDER BY seq",
      afterSeq,
    );
  }
}

/** Small named values beside the log (its epoch, the channel's name). */
export function readMeta(sql: SqlStorage, key: string): string | null {
  const rows = sql.exec<{ v: string }>(
    "SELECT v FROM herald_meta WHERE k = ?",
    key,
  ).toArray();
  return rows[0]?.v ?? null;
}

export function writeMeta(sql: SqlStorage, key: string, value: string) {
  sql.exec(
    "INSERT INTO herald_meta (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v",
    key,
    value,
  );
  return value;
}
