import type {
  DurableObjectNamespace,
  DurableObjectState,
} from "@cloudflare/workers-types";
import type { ChannelStatus } from "../ports/channels.ts";
import { Channel } from "./channel.ts";
import {
  DIRECTORY_BINDING,
  DIRECTORY_NAME,
  DIRECTORY_ORIGIN,
  publishQuery,
  readQuery,
  subscribeQuery,
} from "./channel_protocol.ts";
import { DirectoryReporter } from "./directory_reporter.ts";
import { readMeta, SqliteReplayLog, writeMeta } from "./sqlite_replay_log.ts";
import { sseResponse } from "./stream_response.ts";

/**
 * One Durable Object per channel (user, role or topic): a thin shell that
 * gives the plain-TS `Channel` its SQLite log, turns internal requests into
 * calls on it, and reports its subscriber count to the realtime directory.
 * Everything with rules in it (numbering, dedupe, replay, fan-out, dead
 * subscriber detection) lives in `channel.ts` and below, unit-tested.
 *
 * Routes (from `durable_channels.ts` only): POST /publish, GET /subscribe.
 */
export class ChannelObject {
  readonly #state: DurableObjectState;
  readonly #directory: DurableObjectNamespace | null;
  #log: SqliteReplayLog | null = null;
  #channel: Channel | null = null;
  #reporter: DirectoryReporter | null = null;

  constructor(state: DurableObjectState, env: unknown) {
    this.#state = state;
    this.#directory = bindingIn(env, DIRECTORY_BINDING);
  }

  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const log = await this.#ready();
    switch (`${request.method} ${url.pathname}`) {
      case "POST /publish": {
        const query = readQuery(request, publishQuery);
        if (!query) return badRequest();
        const channel = this.#channelFor(query.channel, log);
        if (!channel) return badRequest();
        const result = channel.publish(
          {
            event: query.event,
            dataJson: await request.text(),
            key: query.key ?? null,
          },
          query.logSize,
        );
        this.#reporter?.published(channel.subscribers);
        return Response.json(result);
      }
      case "GET /subscribe": {
        const query = readQuery(request, subscribeQuery);
        if (!query) return badRequest();
        const channel = this.#channelFor(query.channel, log);
        if (!channel) return badRequest();
        this.#reporterFor(channel).refreshMs = query.refreshMs;
        const result = channel.subscribe({
          ...query,
          cursor: query.cursor ?? null,
        });
        if (!result.ok) return Response.json({ full: true }, { status: 429 });
        return sseResponse(result.stream);
      }
      default:
        return new Response("Not found", { status: 404 });
    }
  }

  /**
   * Opens the log once, inside `blockConcurrencyWhile` so no request sees a
   * half-made table. A failure is caught inside the gate and rethrown
   * outside it (partyserver's guard): thrown inside, it would reset the
   * whole object, and every stream it holds, for one bad request.
   */
  async #ready(): Promise<SqliteReplayLog> {
    if (this.#log) return this.#log;
    let failure: unknown = null;
    await this.#state.blockConcurrencyWhile(() => {
      try {
        this.#log ??= new SqliteReplayLog(this.#state.storage.sql);
      } catch (error) {
        failure = error;
      }
      return Promise.resolve();
    });
    if (!this.#log) throw failure;
    return this.#log;
  }

  /**
   * The channel this object serves. The name comes with every request (an
   * object cannot read the name it was addressed by) and is stored, so a
   * request naming another channel — a routing bug — is refused, not mixed.
   */
  #channelFor(name: string, log: SqliteReplayLog): Channel | null {
    if (this.#channel) {
      return this.#channel.name === name ? this.#channel : null;
    }
    const sql = this.#state.storage.sql;
    const stored = readMeta(sql, "name") ?? writeMeta(sql, "name", name);
    if (stored !== name) return null;
    const channel: Channel = new Channel(name, log, {
      onChange: () => this.#reporter?.subscribersChanged(),
    });
    this.#channel = channel;
    return channel;
  }

  #reporterFor(channel: Channel): DirectoryReporter {
    this.#reporter ??= new DirectoryReporter({
      snapshot: () => channel.status(),
      send: (status) => this.#report(status),
      refreshMs: 30_000,
    });
    return this.#reporter;
  }

  async #report(status: ChannelStatus): Promise<void> {
    if (!this.#directory) return;
    const stub = this.#directory.get(
      this.#directory.idFromName(DIRECTORY_NAME),
    );
    const res = await stub.fetch(`${DIRECTORY_ORIGIN}/report`, {
      method: "POST",
      body: JSON.stringify(status),
    });
    await res.body?.cancel();
  }
}

function badRequest(): Response {
  return new Response("Bad internal request", { status: 400 });
}

/** A Durable Object namespace binding from `env`, checked, not cast. */
function bindingIn(
  env: unknown,
  name: string,
): DurableObjectNamespace | null {
  if (typeof env !== "object" || env === null || !(name in env)) return null;
  const value: unknown = Reflect.get(env, name);
  return isNamespace(value) ? value : null;
}

function isNamespace(value: unknown): value is DurableObjectNamespace {
  return typeof value === "object" && value !== null &&
    "idFromName" in value && typeof value.idFromName === "function" &&
    "get" in value && typeof value.get === "function";
}
