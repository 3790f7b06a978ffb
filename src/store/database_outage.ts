/**
 * Telling "libSQL could not be reached" apart from every other database
 * error, so the first becomes a 503 that says so (a client may try again)
 * while a bug stays an opaque 500.
 *
 * The libSQL HTTP client takes a `fetch`; Herald gives it one that turns
 * every way of not getting an answer — connection refused or reset, a 5xx
 * that is not a Hrana error, no answer in time — into a
 * `DatabaseUnavailableError`. The client passes that error up as it is, or
 * as the cause of its own (and drizzle's), so `databaseOutageOf()` looks
 * down the cause chain. Over WebSockets (`libsql://` on Deno) the client
 * reports a lost socket with its own code, which counts too.
 */
export class DatabaseUnavailableError extends Error {
  override name = "DatabaseUnavailableError";
  /** Safe to show: never a URL, a host or a driver's message. */
  readonly reason: string;

  constructor(reason: string, options?: ErrorOptions) {
    super(`libSQL could not be reached: ${reason}`, options);
    this.reason = reason;
  }
}

/** How the libSQL client reports a dropped WebSocket. */
const WEBSOCKET_LOST = "HRANA_WEBSOCKET_ERROR";

/** The outage behind `error`, or null when it is some other failure. */
export function databaseOutageOf(
  error: unknown,
): DatabaseUnavailableError | null {
  const seen = new Set<unknown>();
  for (let e = error; e instanceof Error && !seen.has(e); e = e.cause) {
    seen.add(e);
    if (e instanceof DatabaseUnavailableError) return e;
    if ("code" in e && e.code === WEBSOCKET_LOST) {
      return new DatabaseUnavailableError("the connection was lost", {
        cause: error,
      });
    }
  }
  return null;
}

type Fetch = (request: Request, init?: RequestInit) => Promise<Response>;

/**
 * The `fetch` for `createClient({ fetch })`. Bodies are read here, so a
 * connection that dies mid-answer is an outage too, and a request that
 * gets no complete answer within `timeoutMs` is given up.
 */
export function libsqlFetch(timeoutMs: number, base: Fetch = fetch): Fetch {
  return async (request) => {
    let response: Response;
    let body: ArrayBuffer;
    try {
      response = await base(request, {
        signal: AbortSignal.timeout(timeoutMs),
      });
      body = await response.arrayBuffer();
    } catch (error) {
      const timedOut = error instanceof Error &&
        (error.name === "TimeoutError" || error.name === "AbortError");
      throw new DatabaseUnavailableError(
        timedOut ? `no answer within ${timeoutMs} ms` : "unreachable",
        { cause: error },
      );
    }
    if (response.status >= 500 && !isHranaError(response, body)) {
      throw new DatabaseUnavailableError(`answered ${response.status}`);
    }
    return new Response(body, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  };
}

/**
 * sqld answers some errors of the request itself (an expired stream) as a
 * 5xx with a Hrana error body; those are the database's answer, not its
 * absence, and the client reads them as such.
 */
function isHranaError(response: Response, body: ArrayBuffer): boolean {
  if (response.headers.get("content-type") !== "application/json") {
    return false;
  }
  try {
    const json: unknown = JSON.parse(new TextDecoder().decode(body));
    return typeof json === "object" && json !== null && "message" in json;
  } catch {
    return false;
  }
}
