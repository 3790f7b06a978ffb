import type { RespValue } from "./resp_codec.ts";
import { RedisConnectionError, RespConnection } from "./resp_connection.ts";
import type { RedisEndpoint } from "./redis_url.ts";

export interface ConnectionPoolOptions {
  endpoint: RedisEndpoint;
  maxConnections: number;
  connectTimeoutMs: number;
  commandTimeoutMs: number;
}

interface SlotWaiter {
  resolve: () => void;
  reject: (error: Error) => void;
}

/**
 * Hands each batch a connection of its own, so a MULTI…EXEC batch or a slow
 * command never interleaves with another request's replies. Connections are
 * opened lazily, reused while healthy and capped; callers beyond the cap
 * queue, and the per-batch timeout guarantees the queue keeps moving.
 */
export class RedisConnectionPool {
  readonly #options: ConnectionPoolOptions;
  readonly #idle: RespConnection[] = [];
  readonly #waiters: SlotWaiter[] = [];
  #slotsInUse = 0;
  #closed = false;

  constructor(options: ConnectionPoolOptions) {
    this.#options = options;
  }

  /** Runs the commands back to back on one connection; replies in order. */
  async exec(commands: string[][]): Promise<RespValue[]> {
    await this.#takeSlot();
    try {
      const reused = this.#idle.pop();
      if (reused !== undefined) {
        try {
          return await this.#run(reused, commands);
        } catch (error) {
          // An idle connection may have been dropped by a restarted Redis;
          // retry on a fresh one only when nothing was answered, so no
          // command can run twice.
          if (!(error instanceof RedisConnectionError) || error.replyStarted) {
            throw error;
          }
        }
      }
      return await this.#run(await this.#open(), commands);
    } finally {
      this.#releaseSlot();
    }
  }

  /** Closes idle connections and refuses new work; in-flight batches finish. */
  close(): void {
    this.#closed = true;
    for (const conn of this.#idle.splice(0)) conn.close();
    for (const waiter of this.#waiters.splice(0)) {
      waiter.reject(new RedisConnectionError("The Redis proxy is closing"));
    }
  }

  async #run(conn: RespConnection, commands: string[][]): Promise<RespValue[]> {
    const replies = await conn.exec(commands, this.#options.commandTimeoutMs);
    if (this.#closed || conn.closed) conn.close();
    else this.#idle.push(conn);
    return replies;
  }

  #open(): Promise<RespConnection> {
    return RespConnection.open(
      this.#options.endpoint,
      this.#options.connectTimeoutMs,
    );
  }

  #takeSlot(): Promise<void> {
    if (this.#closed) {
      return Promise.reject(
        new RedisConnectionError("The Redis proxy is closing"),
      );
    }
    if (this.#slotsInUse < this.#options.maxConnections) {
      this.#slotsInUse++;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      this.#waiters.push({ resolve, reject });
    });
  }

  /** Passes the slot straight to the next waiter, if any. */
  #releaseSlot(): void {
    const next = this.#waiters.shift();
    if (next !== undefined) next.resolve();
    else this.#slotsInUse--;
  }
}
