import assert from "node:assert/strict";
import {
  databaseOutageOf,
  DatabaseUnavailableError,
  libsqlFetch,
} from "../../src/store/database_outage.ts";

const request = () =>
  new Request("http://db.invalid/v2/pipeline", { method: "POST", body: "{}" });

async function outageFrom(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof DatabaseUnavailableError, String(error));
    return error.reason;
  }
  throw new Error("expected an outage");
}

Deno.test("libsqlFetch() turns a refused connection into an outage that names no host", async () => {
  const fetch = libsqlFetch(1_000, () => {
    throw new TypeError("error sending request for http://secret@db:8080");
  });
  const reason = await outageFrom(fetch(request()));
  assert.equal(reason, "unreachable");
});

Deno.test("libsqlFetch() turns a connection lost mid-answer into an outage", async () => {
  const broken = new ReadableStream({
    pull(controller) {
      controller.error(new TypeError("connection reset"));
    },
  });
  const fetch = libsqlFetch(1_000, () => Promise.resolve(new Response(broken)));
  assert.equal(await outageFrom(fetch(request())), "unreachable");
});

Deno.test("libsqlFetch() turns a 5xx that is not a Hrana error into an outage", async () => {
  for (const status of [500, 502, 503]) {
    const fetch = libsqlFetch(
      1_000,
      () => Promise.resolve(new Response("Internal server error", { status })),
    );
    assert.equal(await outageFrom(fetch(request())), `answered ${status}`);
  }
});

Deno.test("libsqlFetch() passes a Hrana error and every other answer through unchanged", async () => {
  const expired = JSON.stringify({
    message: "The stream has expired due to inactivity",
    code: "STREAM_EXPIRED",
  });
  for (
    const [status, body, type] of [
      [500, expired, "application/json"],
      [400, "Received an invalid baton", "text/plain"],
      [200, '{"baton":null,"results":[]}', "application/json"],
    ] as const
  ) {
    const fetch = libsqlFetch(1_000, () =>
      Promise.resolve(
        new Response(body, { status, headers: { "content-type": type } }),
      ));
    const response = await fetch(request());
    assert.equal(response.status, status);
    assert.equal(response.headers.get("content-type"), type);
    assert.equal(await response.text(), body);
  }
});

Deno.test("libsqlFetch() gives up on a request with no answer in time", async () => {
  const fetch = libsqlFetch(
    20,
    (_request, init) =>
      new Promise((_, reject) =>
        init?.signal?.addEventListener(
          "abort",
          () => reject(init.signal?.reason),
        )
      ),
  );
  assert.equal(await outageFrom(fetch(request())), "no answer within 20 ms");
});

Deno.test("databaseOutageOf() finds the outage behind the client's and drizzle's own errors", () => {
  const outage = new DatabaseUnavailableError("unreachable");
  const closed = new Error("Stream is closed", { cause: outage });
  const libsql = Object.assign(
    new Error("HRANA_CLOSED_ERROR", { cause: closed }),
    {
      code: "HRANA_CLOSED_ERROR",
    },
  );
  const drizzle = new Error("Failed query: select 1", { cause: libsql });
  assert.equal(databaseOutageOf(drizzle), outage);
  assert.equal(databaseOutageOf(outage), outage);
});

Deno.test("databaseOutageOf() counts a lost WebSocket and nothing else", () => {
  const socket = Object.assign(new Error("WebSocket closed"), {
    code: "HRANA_WEBSOCKET_ERROR",
  });
  assert.equal(databaseOutageOf(socket)?.reason, "the connection was lost");
  const constraint = Object.assign(new Error("UNIQUE constraint failed"), {
    code: "SQLITE_CONSTRAINT",
  });
  assert.equal(databaseOutageOf(constraint), null);
  assert.equal(databaseOutageOf(new TypeError("x is undefined")), null);
  assert.equal(databaseOutageOf("not an error"), null);
});
