import Database from "libsql";
import {
  HranaError,
  isEngineError,
  primaryCode,
  SQLITE_BUSY,
} from "./errors.ts";

export type EngineStatement = Database.Statement;

/** How long a statement keeps retrying while another stream holds the write lock. */
const BUSY_TIMEOUT_MS = 5_000;
const MAX_RETRY_DELAY_MS = 50;

export interface StatementKind {
  /** BEGIN, SAVEPOINT and friends read nothing, so they never pin a snapshot. */
  isTransactionControl: boolean;
  isWrite: boolean;
}

/** Dev-only hooks: what tests and benchmarks may watch a connection do. */
export interface ConnectionObserver {
  /** A statement started waiting for another stream's write lock. */
  lockWait?(): void;
  /** A data statement (not transaction control) is about to run. */
  statement?(kind: StatementKind): void;
}

function openEngine(path: string): Database.Database {
  const db = new Database(path, { timeout: 0 });
  db.defaultSafeIntegers(true);
  db.exec("PRAGMA synchronous = NORMAL");
  return db;
}

/** Puts a database file in WAL mode so readers and one writer never block each other. */
export function initializeDatabaseFile(path: string): void {
  const db = new Database(path);
  try {
    db.exec("PRAGMA journal_mode = WAL");
  } finally {
    db.close();
  }
}

function isBusy(error: unknown): boolean {
  if (error instanceof HranaError) return error.sqliteCode === SQLITE_BUSY;
  return isEngineError(error) && primaryCode(error) === SQLITE_BUSY;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * One SQLite connection, owned by one Hrana stream.
 *
 * Two quirks of the binding shape this class. It is synchronous, so SQLite's
 * busy timeout would freeze the whole server — including the stream that holds
 * the lock and is about to commit — hence a zero timeout and asynchronous
 * retries. And it never resets a statement that failed with SQLITE_BUSY: the
 * half-run statement then keeps SQLite from committing on this connection. So
 * lock-taking work goes through exec() (which finalizes even on failure) or
 * retries the same statement object (each run starts with a reset), and a
 * statement that gives up on SQLITE_BUSY costs the connection its place.
 */
export class SqliteConnection {
  readonly #path: string;
  #db: Database.Database;
  #changes: EngineStatement | undefined;
  /**
   * True once the open transaction has run a statement after BEGIN and may hold
   * a read snapshot. SQLite never waits for the write lock in that state (the
   * snapshot would be stale once the other writer commits), and neither do we.
   */
  #snapshotHeld = false;
  readonly #observer: ConnectionObserver;

  constructor(path: string, observer: ConnectionObserver = {}) {
    this.#path = path;
    this.#observer = observer;
    this.#db = openEngine(path);
  }

  get isAutocommit(): boolean {
    return !this.#db.inTransaction;
  }

  /** Throws the engine's SqliteError; callers map it. */
  prepare(sql: string): EngineStatement {
    return this.#db.prepare(sql);
  }

  /** changes() and last_insert_rowid() as exact 64-bit integers. */
  lastWriteOutcome(): { changes: bigint; lastInsertRowid: bigint } {
    this.#changes ??= this.#db.prepare("SELECT changes(), last_insert_rowid()")
      .raw(true);
    const row = this.#changes.get();
    const [changes, lastInsertRowid] = Array.isArray(row) ? row : [];
    return {
      changes: typeof changes === "bigint" ? changes : 0n,
      lastInsertRowid: typeof lastInsertRowid === "bigint"
        ? lastInsertRowid
        : 0n,
    };
  }

  /** BEGIN, COMMIT, ROLLBACK and friends: no parameters, no rows. */
  async control(sql: string): Promise<void> {
    await this.#retrying(() => this.#db.exec(sql), false);
  }

  /** Runs a prepared statement and returns its rows (as arrays) if it has any. */
  async execute(
    statement: EngineStatement,
    values: unknown[],
    kind: StatementKind,
  ): Promise<unknown[]> {
    this.#observer.statement?.(kind);
    const step = statement.reader
      ? () => statement.raw(true).all(values)
      : () => {
        statement.run(values);
        return [];
      };
    if (kind.isWrite && this.isAutocommit) {
      return await this.#inOwnTransaction(step);
    }
    try {
      return await this.#retrying(step, !kind.isTransactionControl);
    } catch (error) {
      if (isBusy(error)) this.#replaceAfterBusy();
      throw error;
    }
  }

  /**
   * An autocommit write is its own transaction anyway; taking the write lock
   * first with BEGIN IMMEDIATE means the wait happens in exec(), where giving
   * up leaves nothing behind.
   */
  async #inOwnTransaction(step: () => unknown[]): Promise<unknown[]> {
    await this.control("BEGIN IMMEDIATE");
    try {
      const rows = step();
      this.#db.exec("COMMIT");
      return rows;
    } catch (error) {
      this.#rollbackQuietly();
      if (isBusy(error)) this.#replaceAfterBusy();
      throw error;
    } finally {
      this.#snapshotHeld = false;
    }
  }

  async #retrying<T>(attempt: () => T, readsData: boolean): Promise<T> {
    const deadline = Date.now() + BUSY_TIMEOUT_MS;
    let delay = 1;
    try {
      for (;;) {
        try {
          return attempt();
        } catch (error) {
          const mayWait = !this.#db.inTransaction || !this.#snapshotHeld;
          if (!isBusy(error) || !mayWait || Date.now() >= deadline) throw error;
        }
        if (delay === 1) this.#observer.lockWait?.();
        await sleep(delay);
        delay = Math.min(delay * 2, MAX_RETRY_DELAY_MS);
      }
    } finally {
      this.#snapshotHeld = this.#db.inTransaction &&
        (this.#snapshotHeld || readsData);
    }
  }

  /**
   * A transaction that failed on SQLITE_BUSY never got the write lock, so it
   * wrote nothing: a fresh deferred transaction on a new connection stands in
   * for it, and the client can still COMMIT or ROLLBACK as it would with sqld.
   */
  #replaceAfterBusy(): void {
    const wasInTransaction = this.#db.inTransaction;
    this.close();
    this.#db = openEngine(this.#path);
    this.#changes = undefined;
    this.#snapshotHeld = false;
    if (wasInTransaction) this.#db.exec("BEGIN");
  }

  #rollbackQuietly(): void {
    try {
      if (this.#db.inTransaction) this.#db.exec("ROLLBACK");
    } catch {
      // Nothing more to undo: SQLite already rolled back (or will, on close).
    }
  }

  /**
   * Ends whatever transaction is open, as closing would, but keeps the
   * connection. True when it is back in autocommit, fit for another stream.
   */
  rollBack(): boolean {
    this.#rollbackQuietly();
    this.#snapshotHeld = false;
    return this.isAutocommit;
  }

  /** Closing rolls back an open transaction, releasing its locks. */
  close(): void {
    this.#rollbackQuietly();
    this.#db.close();
  }
}
