import { concatBytes, encodeCommand, RespParser } from "./resp_codec.ts";
import type { RespValue } from "./resp_codec.ts";
import { handshakeCommands } from "./redis_url.ts";
import type { RedisEndpoint } from "./redis_url.ts";

/**
 * Redis could not be reached or stopped answering. The REST layer turns this
 * into a 500; `replyStarted` tells the pool whether a retry could run a
 * command twice.
 */
export class RedisConnectionError extends Error {
  readonly replyStarted: boolean;
  constructor(message: string, replyStarted = false, options?: ErrorOptions) {
    super(message, options);
    this.name = "RedisConnectionError";
    this.replyStarted = replyStarted;
  }
}

/**
 * One TCP connection to redis-server used by one caller at a time: a batch is
 * written in a single write and its replies are read back in order, which is
 * all the pipelining the REST endpoints need.
 */
export class RespConnection {
  readonly #conn: Deno.TcpConn;
  readonly #parser = new RespParser();
  readonly #chunk = new Uint8Array(64 * 1024);
  #closed = false;

  private constructor(conn: Deno.TcpConn) {
    this.#conn = conn;
  }

  static async open(
    endpoint: RedisEndpoint,
    timeoutMs: number,
  ): Promise<RespConnection> {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), timeoutMs);
    let conn: Deno.TcpConn;
    try {
      conn = await Deno.connect({
        hostname: endpoint.hostname,
        port: endpoint.port,
        signal: abort.signal,
      });
    } catch (cause) {
      const why = abort.signal.aborted
        ? `timed out after ${timeoutMs} ms`
        : cause instanceof Error
        ? cause.message
        : String(cause);
      throw new RedisConnectionError(
        `Cannot connect to Redis at ${endpoint.hostname}:${endpoint.port}: ${why}`,
        false,
        { cause },
      );
    } finally {
      clearTimeout(timer);
    }
    conn.setNoDelay(true);
    const connection = new RespConnection(conn);
    const handshake = handshakeCommands(endpoint);
    if (handshake.length > 0) {
      const replies = await connection.exec(handshake, timeoutMs);
      const failed = replies.find((reply) => reply.kind === "error");
      if (failed?.kind === "error") {
        connection.close();
        throw new RedisConnectionError(
          `Redis rejected the connection handshake: ${failed.message}`,
        );
      }
    }
    return connection;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Sends the commands back to back and returns one reply per command. Any
   * failure closes the connection: a half-read reply stream cannot be reused.
   */
  async exec(commands: string[][], timeoutMs: number): Promise<RespValue[]> {
    if (this.#closed) throw new RedisConnectionError("Connection is closed");
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      this.close();
    }, timeoutMs);
    const replies: RespValue[] = [];
    let received = false;
    try {
      await this.#writeAll(concatBytes(commands.map(encodeCommand)));
      while (replies.length < commands.length) {
        const reply = this.#parser.next();
        if (reply !== undefined) {
          replies.push(reply);
          continue;
        }
        const n = await this.#conn.read(this.#chunk);
        if (n === null) {
          throw new RedisConnectionError(
            "Redis closed the connection",
            received,
          );
        }
        received = true;
        this.#parser.push(this.#chunk.subarray(0, n));
      }
      return replies;
    } catch (cause) {
      this.close();
      if (cause instanceof RedisConnectionError && !timedOut) throw cause;
      const message = timedOut
        ? `Redis did not answer within ${timeoutMs} ms`
        : `Redis connection failed: ${
          cause instanceof Error ? cause.message : String(cause)
        }`;
      throw new RedisConnectionError(message, received || timedOut, { cause });
    } finally {
      clearTimeout(timer);
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close();
    } catch {
      // Already closed by the peer; nothing left to release.
    }
  }

  async #writeAll(bytes: Uint8Array): Promise<void> {
    let offset = 0;
    while (offset < bytes.length) {
      offset += await this.#conn.write(bytes.subarray(offset));
    }
  }
}
