import type { SqliteConnection } from "./sqlite_connection.ts";

/**
 * Idle SQLite connections kept for the next stream, as sqld pools its own.
 * Opening one per stream costs a file open and a schema read; worse, closing
 * the last one makes SQLite checkpoint the WAL, fsync and delete it, on the
 * server's only thread. A kept connection holds no transaction: one handed
 * back mid-transaction is rolled back first.
 */
export class ConnectionPool {
  readonly #idle: SqliteConnection[] = [];
  readonly #open: () => SqliteConnection;
  readonly #maxIdle: number;

  constructor(open: () => SqliteConnection, maxIdle = 4) {
    this.#open = open;
    this.#maxIdle = maxIdle;
  }

  take(): SqliteConnection {
    return this.#idle.pop() ?? this.#open();
  }

  give(connection: SqliteConnection): void {
    if (this.#idle.length < this.#maxIdle && connection.rollBack()) {
      this.#idle.push(connection);
    } else {
      connection.close();
    }
  }

  closeAll(): void {
    for (const connection of this.#idle.splice(0)) connection.close();
  }
}
