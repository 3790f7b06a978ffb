import {
  type FaultControl,
  Faults,
  SwitchableServer,
} from "@herald/standin-faults";
import { createQStashDevApp, internalServerError } from "./app.ts";
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
  /** Failures, delays and outages to inject (also `/v2/dev/faults`). */
  faults: FaultControl;
  /**
   * What happens inside, for tests that must wait for it rather than for a
   * while: "delivery-held" when work fell due while the server was down.
   */
  events: EventTarget;
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
  const events = new EventTarget();
  const dispatcher = new Dispatcher({
    state,
    book,
    clock,
    followers,
    signingKey,
    log,
    onHeld: () => events.dispatchEvent(new Event("delivery-held")),
  });
  const faults = new Faults({
    name: "qstash",
    failure: internalServerError,
    exempt: (path) => path.startsWith("/v2/dev/"),
    hooks: {
      // A QStash that is down delivers nothing; when it is back, occurrences
      // that fell due meanwhile are not replayed (as after a restart).
      goingDown: () => dispatcher.pause(),
      cameBack: () => {
        book.realignAll(clock.now());
        dispatcher.resume();
      },
    },
    log,
  });
  const deps: AppDeps = {
    state,
    book,
    dispatcher,
    clock,
    followers,
    faults,
    persist: () => file?.save() ?? Promise.resolve(),
  };
  const app = createQStashDevApp(deps, log);

  const hostname = opts.hostname ?? "127.0.0.1";
  const server = new SwitchableServer({
    hostname,
    port: opts.port ?? 8080,
    handler: faults.wrap((request, info) =>
      app.fetch(request, {
        callerIp: info.remoteAddr.transport === "tcp"
          ? info.remoteAddr.hostname
          : "127.0.0.1",
      })
    ),
  });
  faults.attach(server);
  dispatcher.start();
  const port = server.port;
  const url = `http://${
    hostname.includes(":") ? `[${hostname}]` : hostname
  }:${port}`;
  log(`QStash dev server listening on ${url}`);

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    faults,
    events,
    close: () =>
      closing ??= (async () => {
        faults.dispose();
        await dispatcher.close();
        await server.close();
        await file?.save();
      })(),
  };
}
