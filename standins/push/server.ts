import {
  type FaultControl,
  Faults,
  SwitchableServer,
} from "@herald/standin-faults";
import { createPushApp, pushError } from "./push_app.ts";
import { PushRegistry } from "./push_registry.ts";
import { RateLimit, type RateLimitControl } from "./rate_limit.ts";

export interface PushServiceStandInOptions {
  hostname?: string;
  /** 0 picks a free port; defaults to 8077. */
  port?: number;
  log?: (line: string) => void;
}

export interface PushServiceStandIn {
  /** Its origin; subscription endpoints are `<url>/push/<id>`. */
  url: string;
  port: number;
  /**
   * Failures (503 with Retry-After: 1), delays and outages of the push
   * endpoints (also `/dev/faults`); the dev routes are never faulted.
   */
  faults: FaultControl;
  /** A share of pushes answered 429 with Retry-After (also `/dev/rate-limit`). */
  rateLimit: RateLimitControl;
  close(): Promise<void>;
}

const DEFAULT_PORT = 8077;
/** Seconds a sender is told to wait after a 503. */
const FAILURE_RETRY_AFTER_S = 1;

/**
 * A Web Push service (RFC 8030, 8291, 8292) in memory on 127.0.0.1: hands
 * out subscriptions, checks and decrypts what is pushed to them, and shows
 * what arrived — so Herald's push channel runs with no internet.
 */
export function startPushServiceStandIn(
  opts: PushServiceStandInOptions = {},
): Promise<PushServiceStandIn> {
  try {
    return Promise.resolve(serve(opts));
  } catch (error) {
    return Promise.reject(error);
  }
}

function serve(opts: PushServiceStandInOptions): PushServiceStandIn {
  const hostname = opts.hostname ?? "127.0.0.1";
  const requestedPort = opts.port ?? DEFAULT_PORT;
  const log = opts.log ?? (() => {});
  const faults = new Faults({
    name: "push",
    failure: () => {
      const response = pushError(503, "the push service is unavailable");
      response.headers.set("Retry-After", String(FAILURE_RETRY_AFTER_S));
      return response;
    },
    // Only the service itself fails; a test can still read what arrived.
    exempt: (path) => !path.startsWith("/push/"),
    log,
  });
  const rateLimit = new RateLimit();
  let origin = "";
  const app = createPushApp({
    registry: new PushRegistry(),
    faults,
    rateLimit,
    origin: () => origin,
    log,
  });
  let server: SwitchableServer;
  try {
    server = new SwitchableServer({
      hostname,
      port: requestedPort,
      handler: faults.wrap(app.fetch),
    });
  } catch (cause) {
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new Error(
      `The push service stand-in cannot listen on ${hostname}:${requestedPort}: ${why}`,
      { cause },
    );
  }
  faults.attach(server);
  origin = `http://${urlHost(hostname)}:${server.port}`;
  let closing: Promise<void> | undefined;
  return {
    url: origin,
    port: server.port,
    faults,
    rateLimit,
    close() {
      faults.dispose();
      closing ??= server.close();
      return closing;
    },
  };
}

/** A wildcard address is not something a client can dial. */
function urlHost(hostname: string): string {
  if (hostname === "0.0.0.0" || hostname === "::") return "127.0.0.1";
  return hostname.includes(":") ? `[${hostname}]` : hostname;
}
