import type { SqlStorageValue } from "@cloudflare/workers-types";
import { isEpoch, newEpoch } from "../core/cursor.ts";
import type {
  HeldAudience,
  LoggedEvent,
  NewEvent,
  ShardLog,
} from "../core/shard_log.ts";

type Row = Record<string, SqlStorageValue>;

/**
 * The part of a Durable Object's `SqlStorage` the log uses: a seam, so the
 * unit tests run the very same SQL on Deno's SQLite.
 */
export interface SqlExec {
  exec(
    query: string,
    ...bindings: (string | number | null)[]
  ): { toArray(): Row[] };
}

/**
 * The replay log in a Durable Object's SQLite. Reads and writes are
 * synchronous (the database lives in the object), which is what lets a
 * connection read its replay and join the live set in one turn.
 *
 * A publish is one INSERT, plus one DELETE and one upsert once its audience
 * is full. Per-audience counts are read once per object life and then kept
 * in memory, as is the last seq; everything survives eviction in the rows.
 */
export class SqliteShardLog implements ShardLog {
  readonly epoch: string;
  readonly #sql: SqlExec;
  #lastSeq: number;
  readonly #counts = new Map<string, number>();

  /** Creates the tables on first use; reloads epoch and last seq after. */
  constructor(sql: SqlExec) {
    this.#sql = sql;
    sql.exec(`CREATE TABLE IF NOT EXISTS herald_meta (
      k TEXT PRIMARY KEY, v TEXT NOT NULL)`);
    sql.exec(`CREATE TABLE IF NOT EXISTS herald_events (
      seq INTEGER PRIMARY KEY, audience TEXT NOT NULL, key TEXT,
      event TEXT NOT NULL, data TEXT NOT NULL,
      sent_at INTEGER NOT NULL DEFAULT 0)`);
    // Logs made before events carried their send time: what they hold
    // counts as sent at 0, replayed to a user's own audience only.
    const columns = sql.exec(
      "SELECT name FROM pragma_table_info('herald_events') WHERE name = 'sent_at'",
    ).toArray();
    if (columns.length === 0) {
      sql.exec(
        "ALTER TABLE herald_events ADD COLUMN sent_at INTEGER NOT NULL DEFAULT 0",
      );
    }
    // Logs made before events could expire: nothing in them does.
    const expiry = sql.exec(
      "SELECT name FROM pragma_table_info('herald_events') WHERE name = 'expires_at'",
    ).toArray();
    if (expiry.length === 0) {
      sql.exec("ALTER TABLE herald_events ADD COLUMN expires_at INTEGER");
    }
    sql.exec(`CREATE INDEX IF NOT EXISTS herald_events_audience
      ON herald_events (audience, seq)`);
    sql.exec(`CREATE UNIQUE INDEX IF NOT EXISTS herald_events_key
      ON herald_events (audience, key) WHERE key IS NOT NULL`);
    sql.exec(`CREATE TABLE IF NOT EXISTS herald_trimmed (
      audience TEXT PRIMARY KEY, through INTEGER NOT NULL)`);
    this.epoch = readMeta(sql, "epoch") ?? writeMeta(sql, "epoch", newEpoch());
    if (!isEpoch(this.epoch)) {
      throw new Error(`Stored epoch "${this.epoch}" is malformed`);
    }
    // Trimming never drops an audience's newest event, but a trimmed seq
    // still counts as used: take whichever is higher.
    this.#lastSeq = int(
      first(sql.exec(
        `SELECT max(coalesce((SELECT max(seq) FROM herald_events), 0),
        coalesce((SELECT max(through) FROM herald_trimmed), 0)) AS last`,
      )).last,
    );
  }

  get lastSeq(): number {
    return this.#lastSeq;
  }

  size(): number {
    return int(
      first(this.#sql.exec("SELECT count(*) AS n FROM herald_events")).n,
    );
  }

  seqOfKey(audience: string, key: string): number | null {
    const [row] = this.#sql.exec(
      "SELECT seq FROM herald_events WHERE audience = ? AND key = ?",
      audience,
      key,
    ).toArray();
    return row ? int(row.seq) : null;
  }

  append(event: NewEvent, capacity: number): number {
    const seq = this.#lastSeq + 1;
    this.#sql.exec(
      "INSERT INTO herald_events (seq, audience, key, event, data, sent_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
      seq,
      event.audience,
      event.key,
      event.event,
      event.data,
      event.sentAt,
      event.expiresAt ?? null,
    );
    this.#lastSeq = seq;
    const count = this.#countOf(event.audience) + 1;
    if (count <= capacity) {
      this.#counts.set(event.audience, count);
      return seq;
    }
    const [edge] = this.#sql.exec(
      `SELECT seq FROM herald_events WHERE audience = ?
       ORDER BY seq DESC LIMIT 1 OFFSET ?`,
      event.audience,
      capacity,
    ).toArray();
    if (edge) {
      this.#sql.exec(
        "DELETE FROM herald_events WHERE audience = ? AND seq <= ?",
        event.audience,
        int(edge.seq),
      );
      this.#sql.exec(
        `INSERT INTO herald_trimmed (audience, through) VALUES (?, ?)
         ON CONFLICT (audience) DO UPDATE SET through = excluded.through`,
        event.audience,
        int(edge.seq),
      );
    }
    this.#counts.set(event.audience, capacity);
    return seq;
  }

  trimmedThrough(audiences: readonly string[]): number {
    if (audiences.length === 0) return 0;
    const { through } = first(this.#sql.exec(
      `SELECT max(through) AS through FROM herald_trimmed
       WHERE audience IN (${placeholders(audiences.length)})`,
      ...audiences,
    ));
    return through === null ? 0 : int(through);
  }

  after(
    afterSeq: number,
    held: readonly HeldAudience[],
    now: number,
  ): LoggedEvent[] {
    if (held.length === 0) return [];
    // One index range per audience: (audience, seq > afterSeq), each
    // filtered by its own join time, and what has expired left out.
    const terms = held.map(() => "(audience = ? AND seq > ? AND sent_at >= ?)")
      .join(" OR ");
    return this.#sql.exec(
      `SELECT seq, audience, event, data FROM herald_events
       WHERE (${terms}) AND (expires_at IS NULL OR expires_at > ?)
       ORDER BY seq`,
      ...held.flatMap((h) => [h.audience, afterSeq, h.since]),
      now,
    ).toArray().map((row) => ({
      seq: int(row.seq),
      audience: text(row.audience),
      event: text(row.event),
      data: text(row.data),
    }));
  }

  #countOf(audience: string): number {
    const known = this.#counts.get(audience);
    if (known !== undefined) return known;
    const n = int(
      first(this.#sql.exec(
        "SELECT count(*) AS n FROM herald_events WHERE audience = ?",
        audience,
      )).n,
    );
    this.#counts.set(audience, n);
    return n;
  }
}

function placeholders(n: number): string {
  return Array.from({ length: n }, () => "?").join(", ");
}

function first(cursor: { toArray(): Row[] }): Row {
  const [row] = cursor.toArray();
  if (!row) throw new Error("The query returned no row");
  return row;
}

function int(value: SqlStorageValue | undefined): number {
  if (typeof value !== "number") {
    throw new Error(`Expected a number from SQLite, got ${typeof value}`);
  }
  return value;
}

function text(value: SqlStorageValue | undefined): string {
  if (typeof value !== "string") {
    throw new Error(`Expected text from SQLite, got ${typeof value}`);
  }
  return value;
}

/** Small named values beside the log (its epoch, the wake counter). */
export function readMeta(sql: SqlExec, key: string): string | null {
  const [row] = sql.exec("SELECT v FROM herald_meta WHERE k = ?", key)
    .toArray();
  return row ? text(row.v) : null;
}

export function writeMeta(sql: SqlExec, key: string, value: string) {
  sql.exec(
    "INSERT INTO herald_meta (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v",
    key,
    value,
  );
  return value;
}
