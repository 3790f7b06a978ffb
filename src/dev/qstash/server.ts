import { createQStashDevApp } from "./app.ts";
import type { AppDeps } from "./app_deps.ts";
import { ClockFollowers } from "./clock_followers.ts";
import { DEV_QSTASH_CURRENT_SIGNING_KEY } from "./credentials.ts";
import { Dispatcher } from "./dispatcher.ts";
import { ScheduleBook } from "./schedule_book.ts";
import { QStashState } from "./state.ts";
import { StateFile } from "./state_file.ts";
import { VirtualClock } from "./virtual_clock.ts";

/**
 * A QStash-compatible dev server for Deno: the official `@upstash/qstash`
 * Client publishes and schedules against it with QStash's dev token, and
 * destinations receive deliveries signed with QStash's dev signing keys.
 * Schedules and delays run on a virtual clock that tests can move
 * (`/v2/dev/clock`).
 */
export interface QStashDevServerOptions {
  hostname?: string;
  /** 0 picks a free port. */
  port?: number;
  /** JSON file that keeps state across restarts; omitted = in memory. */
  stateFile?: string;
  log?: (line: string) => void;
}

export interface QStashDevServer {
  /** e.g. `http://127.0.0.1:8080` */
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startQStashDevServer(
  opts: QStashDevServerOptions = {},
): Promise<QStashDevServer> {
  const log = opts.log ?? (() => {});
  const state = new QStashState(() => {
    file?.save().catch((error) => log(`could not save state: ${error}`));
  });
  const file = opts.stateFile === undefined
    ? undefined
    : new StateFile(opts.stateFile, () => state.toSnapshot());
  const snapshot = await file?.load();
  if (snapshot) state.load(snapshot);

  const clock = new VirtualClock(state.clockOffsetMs);
  const book = new ScheduleBook(state);
  // Occurrences missed while the server was down are not replayed (robfig
  // cron and QStash do not backfill either); pending messages still go out.
  book.realignAll(clock.now());
  const signingKey = DEV_QSTASH_CURRENT_SIGNING_KEY;
  const followers = new ClockFollowers(state, { signingKey, log });
  const dispatcher = new Dispatcher({
    state,
    book,
    clock,
    followers,
    signingKey,
    log,
  });
  const deps: AppDeps = {
    state,
    book,
    dispatcher,
    clock,
    followers,
    persist: () => file?.save() ?? Promise.resolve(),
  };
  const app = createQStashDevApp(deps, log);

  const hostname = opts.hostname ?? "127.0.0.1";
  const server = Deno.serve(
    { hostname, port: opts.port ?? 8080, onListen: () => {} },
    (request, info) =>
      app.fetch(request, {
        callerIp: info.remoteAddr.transport === "tcp"
          ? info.remoteAddr.hostname
          : "127.0.0.1",
      }),
  );
  dispatcher.start();
  const port = server.addr.port;
  const url = `http://${
    hostname.includes(":") ? `[${hostname}]` : hostname
  }:${port}`;
  log(`QStash dev server listening on ${url}`);

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    close: () =>
      closing ??= (async () => {
        await dispatcher.close();
        await server.shutdown();
        await file?.save();
      })(),
  };
}
