import type { DurableObjectState, SqlStorage } from "@cloudflare/workers-types";
import type { ChannelStatus } from "../ports/channels.ts";
import { channelStatus } from "./channel_protocol.ts";

type Row = {
  name: string;
  subscribers: number;
  log_size: number;
  last_seq: number;
};

/**
 * The realtime directory: which channel objects have live subscribers, for
 * `status()` — Durable Objects cannot be listed, so channels report here
 * (see `directory_reporter.ts`). One row per live channel in SQLite, so
 * the list survives this object being evicted between reports. A channel
 * reporting zero subscribers is removed; one that stops reporting (its
 * object died) ages out of the list.
 *
 * Routes: POST /report (a ChannelStatus), GET /list?maxAgeMs=.
 */
export class RealtimeDirectory {
  readonly #state: DurableObjectState;
  #sql: SqlStorage | null = null;

  constructor(state: DurableObjectState, _env: unknown) {
    this.#state = state;
  }

  async fetch(request: Request): Promise<Response> {
    const sql = await this.#ready();
    const url = new URL(request.url);
    const now = Date.now();
    if (request.method === "POST" && url.pathname === "/report") {
      const report = channelStatus.safeParse(
        await request.json().catch(() => null),
      );
      if (!report.success) return new Response("Bad report", { status: 400 });
      record(sql, report.data, now);
      return new Response(null, { status: 204 });
    }
    if (request.method === "GET" && url.pathname === "/list") {
      const maxAgeMs = Number(url.searchParams.get("maxAgeMs"));
      const since = Number.isFinite(maxAgeMs) ? now - maxAgeMs : 0;
      sql.exec("DELETE FROM channels WHERE reported_at < ?", since);
      const rows = sql.exec<Row>(
        "SELECT name, subscribers, log_size, last_seq FROM channels ORDER BY name",
      ).toArray();
      return Response.json({ channels: rows.map(toStatus) });
    }
    return new Response("Not found", { status: 404 });
  }

  /** The table, made once inside the start-up gate (see ChannelObject). */
  async #ready(): Promise<SqlStorage> {
    if (this.#sql) return this.#sql;
    let failure: unknown = null;
    await this.#state.blockConcurrencyWhile(() => {
      try {
        const sql = this.#state.storage.sql;
        sql.exec(`CREATE TABLE IF NOT EXISTS channels (
          name TEXT PRIMARY KEY, subscribers INTEGER NOT NULL,
          log_size INTEGER NOT NULL, last_seq INTEGER NOT NULL,
          reported_at INTEGER NOT NULL)`);
        this.#sql = sql;
      } catch (error) {
        failure = error;
      }
      return Promise.resolve();
    });
    if (!this.#sql) throw failure;
    return this.#sql;
  }
}

function record(sql: SqlStorage, status: ChannelStatus, now: number): void {
  if (status.subscribers === 0) {
    sql.exec("DELETE FROM channels WHERE name = ?", status.name);
    return;
  }
  sql.exec(
    `INSERT INTO channels (name, subscribers, log_size, last_seq, reported_at)
     VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (name) DO UPDATE SET subscribers = excluded.subscribers,
       log_size = excluded.log_size, last_seq = excluded.last_seq,
       reported_at = excluded.reported_at`,
    status.name,
    status.subscribers,
    status.logSize,
    status.lastSeq,
    now,
  );
}

function toStatus(row: Row): ChannelStatus {
  return {
    name: row.name,
    subscribers: row.subscribers,
    logSize: row.log_size,
    lastSeq: row.last_seq,
  };
}
