import assert from "node:assert/strict";
import { sign } from "hono/jwt";
import { errorBody, read } from "../support/bodies.ts";
import { SseStream } from "../support/sse.ts";
import { WsReader } from "../support/ws_reader.ts";
import { integrationSuite } from "../support/suite.ts";

/**
 * Input an attacker (or a host app with unusual names) sends through the
 * Worker in workerd: bodies nested far past any Herald body, stream ids
 * longer than any Herald writes, names whose UTF-8 bytes outgrow a socket
 * tag, Each is a 4xx or works —
 * never a 5xx, never a reset connection.
 */
const suite = integrationSuite("hostile input through the Worker");
const { test } = suite;

let n = 0;
const fresh = (what: string) => `${what}-${++n}-${crypto.randomUUID()}`;

async function tokenFor(
  sub: string,
  claims: { roles?: string[]; topics?: string[] } = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return await sign(
    { sub, ...claims, iat: now, exp: now + 600 },
    suite.stack.jwtSecret,
    "HS256",
  );
}

const nestedObject = (depth: number) =>
  '{"a":'.repeat(depth) + "1" + "}".repeat(depth);
const nestedArray = (depth: number) => "[".repeat(depth) + "]".repeat(depth);

async function patchPreferences(userId: string, body: string) {
  return await fetch(
    `${suite.stack.url}/v1/users/${encodeURIComponent(userId)}/preferences`,
    {
      method: "PATCH",
      headers: {
        authorization: `Bearer ${await tokenFor(userId)}`,
        "content-type": "application/json",
      },
      body,
    },
  );
}

test("a body nested thousands of levels deep is a 400 saying so, the user's own token enough", async () => {
  const user = fresh("deep");
  for (
    const body of [
      nestedObject(7_000),
      nestedArray(6_000),
      nestedArray(10_000),
      nestedObject(65),
      // Brackets inside strings are text, not nesting; the depth counted
      // is the real one.
      `{"a":${nestedArray(65)},"b":"${"[".repeat(200)}"}`,
    ]
  ) {
    const res = await patchPreferences(user, body);
    assert.equal(res.status, 400, body.slice(0, 40));
    const { error } = await read(res, errorBody);
    assert.equal(error.code, "bad_request");
    assert.match(error.message, /nested deeper than 64 levels/);
  }
});

test("a body nested within the limit is read as usual, brackets in strings not counted", async () => {
  const user = fresh("shallow");
  const res = await patchPreferences(
    user,
    `{"timezone":"${"[{".repeat(100)}","x":${nestedArray(63)}}`,
  );
  assert.equal(res.status, 400);
  const { error } = await read(res, errorBody);
  assert.equal(error.code, "validation_failed", error.message);
  // The body's own mistakes are named, not its depth.
  const ok = await patchPreferences(user, '{"timezone":"Europe/Paris"}');
  assert.equal(ok.status, 200, await ok.clone().text());
  await ok.body?.cancel();
});

suite.run();

const LONG_ID = `1.${"A".repeat(3_000)}`;

test("a Last-Event-ID longer than any Herald writes is a reset on SSE, by header or query", async () => {
  const user = fresh("long-id");
  const token = await tokenFor(user);
  for (
    const [url, headers] of [
      [`${suite.stack.url}/v1/stream`, {
        authorization: `Bearer ${token}`,
        "last-event-id": LONG_ID,
      }],
      [`${suite.stack.url}/v1/stream?lastEventId=${LONG_ID}`, {
        authorization: `Bearer ${token}`,
      }],
    ] as const
  ) {
    const stream = await SseStream.open(url, { headers });
    try {
      assert.equal((await stream.next()).event, "connected");
      assert.equal((await stream.next()).event, "reset");
    } finally {
      await stream.close();
    }
  }
});

test("a lastEventId longer than any Herald writes is a reset on a WebSocket", async () => {
  const user = fresh("long-ws");
  const url = `${
    suite.stack.url.replace(/^http/, "ws")
  }/v1/stream?token=${await streamToken(user)}&lastEventId=${LONG_ID}`;
  const socket = await WsReader.open(url);
  try {
    assert.equal((await socket.nextEvent())?.event, "connected");
    assert.equal((await socket.nextEvent())?.event, "reset");
  } finally {
    await socket.close();
  }
});

async function streamToken(
  user: string,
  claims: { roles?: string[]; topics?: string[] } = {},
): Promise<string> {
  const res = await fetch(`${suite.stack.url}/v1/stream/token`, {
    method: "POST",
    headers: { authorization: `Bearer ${await tokenFor(user, claims)}` },
  });
  assert.equal(res.status, 200, await res.clone().text());
  return ((await res.json()) as { token: string }).token;
}

async function send(target: Record<string, unknown>, title: string) {
  const res = await suite.stack.admin("/v1/notifications", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ ...target, type: "orders.new", title }),
  });
  assert.equal(res.status, 201, await res.clone().text());
  await res.body?.cancel();
}

/** A name that fits in characters but whose UTF-8 bytes outgrow a tag. */
const wideNames = {
  "é × 124": "é".repeat(124),
  "100 emoji": "🔔".repeat(100),
};
const cjkRole = "通知".repeat(45);

test("users whose ids are long in UTF-8 bytes stream live over SSE and WebSocket", async () => {
  // The suite's stack is its own: these ids are used nowhere else.
  for (const [what, user] of Object.entries(wideNames)) {
    const sse = await SseStream.open(`${suite.stack.url}/v1/stream`, {
      headers: { authorization: `Bearer ${await tokenFor(user)}` },
    });
    const ws = await WsReader.open(
      `${
        suite.stack.url.replace(/^http/, "ws")
      }/v1/stream?token=${await streamToken(user)}`,
    );
    try {
      assert.equal((await sse.next()).event, "connected", what);
      assert.equal((await ws.nextEvent())?.event, "connected", what);
      await send({ userId: user }, `for ${what}`);
      const viaSse = await sse.until("notification");
      assert.match(viaSse.at(-1)!.data, new RegExp(`for ${what}`));
      let viaWs = await ws.nextEvent();
      while (viaWs && viaWs.event !== "notification") {
        viaWs = await ws.nextEvent();
      }
      assert.match(viaWs?.data ?? "", new RegExp(`for ${what}`));
    } finally {
      await sse.close();
      await ws.close();
    }
  }
});

test("a role of 90 CJK characters streams its broadcasts live", async () => {
  const user = fresh("cjk");
  const role = cjkRole;
  const sse = await SseStream.open(`${suite.stack.url}/v1/stream`, {
    headers: {
      authorization: `Bearer ${await tokenFor(user, { roles: [role] })}`,
    },
  });
  const ws = await WsReader.open(
    `${
      suite.stack.url.replace(/^http/, "ws")
    }/v1/stream?token=${await streamToken(user, { topics: [role] })}`,
  );
  try {
    assert.equal((await sse.next()).event, "connected");
    assert.equal((await ws.nextEvent())?.event, "connected");
    await send({ roles: [role] }, "to the role");
    await send({ topic: role }, "to the topic");
    const viaSse = await sse.until("notification");
    assert.match(viaSse.at(-1)!.data, /to the role/);
    let viaWs = await ws.nextEvent();
    while (viaWs && viaWs.event !== "notification") {
      viaWs = await ws.nextEvent();
    }
    assert.match(viaWs?.data ?? "", /to the topic/);
    // The realtime status names the audiences whole.
    const status = await suite.stack.admin("/v1/realtime/status");
    const channels = (await status.json()) as {
      channels: { name: string; subscribers: number }[];
    };
    const names = channels.channels.map((c) => c.name);
    assert.ok(names.includes(`role:${role}`), names.join(", "));
    assert.ok(names.includes(`topic:${role}`), names.join(", "));
  } finally {
    await sse.close();
    await ws.close();
  }
});

/** The cursor a fresh connection of `user` (no roles) is handed. */
async function cursorBeforeJoining(user: string): Promise<string> {
  const sse = await SseStream.open(`${suite.stack.url}/v1/stream`, {
    headers: { authorization: `Bearer ${await tokenFor(user)}` },
  });
  try {
    const connected = await sse.next();
    assert.equal(connected.event, "connected");
    assert.ok(connected.id, "connected carries the connection's cursor");
    return connected.id;
  } finally {
    await sse.close();
  }
}

/** The cursor naming the very start of the log `cursor` stands in. */
function startOfLog(cursor: string): string {
  const part = cursor.split(".")[1] ?? "";
  return `1.${part.slice(0, 8)}0`;
}

/** The titles of notifications a stream yields until (and with) `marker`. */
async function titlesUntil(
  next: () => Promise<{ event: string; data: string } | null>,
  marker: string,
): Promise<string[]> {
  const titles: string[] = [];
  while (!titles.includes(marker)) {
    const event = await next();
    if (event === null) throw new Error(`stream ended before ${marker}`);
    if (event.event === "notification") {
      titles.push((JSON.parse(event.data) as { title: string }).title);
    }
  }
  return titles;
}

for (const transport of ["sse", "websocket"] as const) {
  test(`a new role member resuming over ${transport} gets none of the role's earlier broadcasts`, async () => {
    const role = fresh("joiners");
    const user = fresh("joiner");
    const before = await cursorBeforeJoining(user);
    for (const k of [1, 2, 3]) await send({ roles: [role] }, `before-${k}`);
    for (const resumeFrom of [before, startOfLog(before)]) {
      const marker = fresh("marker");
      const stream = transport === "sse"
        ? await SseStream.open(`${suite.stack.url}/v1/stream`, {
          headers: {
            authorization: `Bearer ${await tokenFor(user, { roles: [role] })}`,
            "last-event-id": resumeFrom,
          },
        })
        : await WsReader.open(
          `${
            suite.stack.url.replace(/^http/, "ws")
          }/v1/stream?token=${await streamToken(
            user,
            { roles: [role] },
          )}&lastEventId=${resumeFrom}`,
        );
      try {
        const next = stream instanceof SseStream
          ? () => stream.next()
          : () => stream.nextEvent();
        await send({ userId: user }, marker);
        // The user's own events replay (an earlier marker may); the role's
        // from before the join never do.
        const titles = await titlesUntil(next, marker);
        assert.deepEqual(
          titles.filter((t) => t.startsWith("before-")),
          [],
          resumeFrom,
        );
      } finally {
        await stream.close();
      }
    }
  });
}

/** A body sent chunked (no Content-Length), `bytes` long, in 16 KiB chunks. */
function chunkedBody(bytes: number): ReadableStream<Uint8Array> {
  const chunk = new TextEncoder().encode(" ".repeat(16 * 1024));
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent >= bytes) return controller.close();
      const part = chunk.subarray(0, Math.min(chunk.length, bytes - sent));
      sent += part.length;
      controller.enqueue(part);
    },
  });
}

test("a chunked body over the limit is answered 413, never a reset", async () => {
  const user = fresh("chunked");
  const authorization = `Bearer ${await tokenFor(user)}`;
  for (let k = 0; k < 20; k++) {
    const res = await fetch(
      `${suite.stack.url}/v1/users/${user}/preferences`,
      {
        method: "PATCH",
        headers: { authorization, "content-type": "application/json" },
        body: chunkedBody(200 * 1024),
      },
    );
    assert.equal(res.status, 413, `attempt ${k}`);
    assert.equal((await read(res, errorBody)).error.code, "payload_too_large");
  }
});
