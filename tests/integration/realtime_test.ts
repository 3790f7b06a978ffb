import assert from "node:assert/strict";
import {
  type ConnectionState,
  HeraldClient,
} from "../../src/client/herald_client.ts";
import { fnv1a32 } from "../../src/domain/codecs/fnv1a.ts";
import {
  channelStatus,
  CURSOR,
  errorBody,
  LIMITS,
  nothingElse,
  notification,
  notificationIds,
  online,
  open,
  publish,
  refusedUpgrade,
  shardCalls,
  SHARDS,
  startInProcess,
  startWorkerd,
  status,
  streamUrl,
  type Target,
  unique,
  untilHolds,
  type Via,
} from "./fixtures/realtime_harness.ts";
import { SseReader } from "../support/sse_reader.ts";

/**
 * The realtime layer's behaviour over real HTTP and real sockets, run with
 * the same cases on both transports (SSE, WebSocket) against both targets:
 * the shard Durable Objects in workerd and the in-process hub on Deno (see
 * fixtures/realtime_harness.ts).
 */

type Case = [name: string, run: (t: Target, via: Via) => Promise<void>];

/** A user id that lands in shard `shard` of the fixture's SHARDS. */
function userIn(shard: number): string {
  for (;;) {
    const id = unique("u");
    if (fnv1a32(id) % SHARDS === shard) return `user:${id}`;
  }
}

const cases: Case[] = [
  [
    "the stream answers at once: connected, with its position, before any event",
    async (t, via) => {
      const user = unique("user:u");
      if (via === "sse") {
        const res = await fetch(streamUrl(t, [user], {}));
        assert.deepEqual(res.status, 200);
        assert.match(
          res.headers.get("content-type") ?? "",
          /^text\/event-stream/,
        );
        assert.deepEqual(
          res.headers.get("cache-control"),
          "no-cache, no-transform",
        );
        assert.deepEqual(res.headers.get("x-accel-buffering"), "no");
        assert.ok(
          [null, "identity"].includes(res.headers.get("content-encoding")),
        );
        assert.deepEqual(res.headers.get("access-control-allow-origin"), "*");
        assert.ok(res.body);
        const sse = new SseReader(res.body);
        // Nothing published yet: these bytes were sent without waiting.
        assert.deepEqual(await sse.next(), { type: "retry", ms: 3000 });
        assert.match(sse.chunks[0] ?? "", /^retry: 3000\n\nevent: connected\n/);
        await sse.cancel();
      }
      const s = await open(t, via, [user], { heartbeatMs: 300 });
      assert.deepEqual(JSON.parse(s.connected.data), {
        channels: [user],
        heartbeatMs: 300,
      });
      assert.match(s.connected.id ?? "", CURSOR);
      await s.close();
    },
  ],

  [
    "a published event arrives with its id, once per connection",
    async (t, via) => {
      const user = unique("user:u");
      const a = await open(t, via, [user]);
      const b = await open(t, via, [user]);
      const result = await publish(t, user, "n1");
      assert.deepEqual(result.duplicate, false);
      assert.deepEqual(result.delivered, 2);
      for (const s of [a, b]) {
        const got = await s.event();
        assert.deepEqual(got.event, "notification");
        assert.deepEqual(JSON.parse(got.data), { id: "n1" });
        assert.match(got.id ?? "", CURSOR);
        assert.notDeepEqual(got.id, s.connected.id);
      }
      await publish(t, user, "marker");
      for (const s of [a, b]) {
        assert.deepEqual(await notificationIds(s, 1), ["marker"]);
        await s.close();
      }
    },
  ],

  [
    "reconnecting with Last-Event-ID replays exactly the missed events, then goes on live",
    async (t, via) => {
      const user = unique("user:u");
      const first = await open(t, via, [user]);
      await publish(t, user, "n1");
      const seen = await first.event();
      await first.close();
      await publish(t, user, "n2");
      await publish(t, user, "n3");
      // n4 is published while the reconnect is under way: it must land on
      // one side of the replay/live seam, exactly once.
      const [second] = await Promise.all([
        open(t, via, [user], { lastEventId: seen.id ?? "", asHeader: true }),
        publish(t, user, "n4"),
      ]);
      assert.deepEqual(second.connected.id, seen.id);
      assert.deepEqual(await notificationIds(second, 3), ["n2", "n3", "n4"]);
      await nothingElse(t, second, user);
      await publish(t, user, "n5");
      const n5 = await second.event();
      await second.close();
      // The query parameter works the same (a browser's first connect).
      await publish(t, user, "n6");
      const third = await open(t, via, [user], { lastEventId: n5.id ?? "" });
      assert.deepEqual(await notificationIds(third, 1), ["n6"]);
      await third.close();
    },
  ],

  [
    "an id older than the replay log gets a reset, then live events",
    async (t, via) => {
      const user = unique("user:u");
      const first = await open(t, via, [user]);
      await first.close();
      for (let n = 1; n <= LIMITS.logSize + 2; n++) {
        await publish(t, user, `n${n}`);
      }
      const again = await open(t, via, [user], {
        lastEventId: first.connected.id ?? "",
        asHeader: true,
      });
      assert.deepEqual(again.connected.id, "1");
      const reset = await again.event();
      assert.deepEqual(reset.event, "reset");
      assert.deepEqual(JSON.parse(reset.data), { channel: user });
      await publish(t, user, "live");
      assert.deepEqual(await notificationIds(again, 1), ["live"]);
      await again.close();
    },
  ],

  [
    "a busy audience cannot push a quiet user's events out of the replay log",
    async (t, via) => {
      // Same shard, same log: the role floods it, the user's event stays.
      const user = userIn(0);
      const role = unique("role:busy");
      const first = await open(t, via, [user]);
      await first.close();
      await publish(t, user, "mine");
      for (let n = 1; n <= LIMITS.logSize * 2; n++) {
        await publish(t, role, `r${n}`);
      }
      const again = await open(t, via, [user], {
        lastEventId: first.connected.id ?? "",
      });
      assert.deepEqual(await notificationIds(again, 1), ["mine"]);
      await nothingElse(t, again, user);
      await again.close();
    },
  ],

  ["an unparsable or foreign Last-Event-ID gets a reset", async (t, via) => {
    const user = unique("user:u");
    // Garbage; a log epoch that no shard has; an id in the old
    // one-part-per-channel form.
    for (
      const lastEventId of ["garbage", "1.AAAAAAAA5", "1.AAAAAAAA1.BBBBBBBB2"]
    ) {
      const s = await open(t, via, [user], { lastEventId, asHeader: true });
      assert.deepEqual((await s.event()).event, "reset", lastEventId);
      await s.close();
    }
  }],

  ["a duplicate key is stored and sent once", async (t, via) => {
    const user = unique("user:u");
    const s = await open(t, via, [user]);
    const first = await publish(t, user, "n1", { key: "delivery-1" });
    const again = await publish(t, user, "n1", { key: "delivery-1" });
    assert.deepEqual(again, { seq: first.seq, duplicate: true, delivered: 0 });
    assert.deepEqual(await notificationIds(s, 1), ["n1"]);
    await nothingElse(t, s, user);
    await s.close();
  }],

  [
    "each user reads only their own events, even beside others in one shard",
    async (t, via) => {
      const [a, b] = [userIn(1), userIn(1)];
      const sa = await open(t, via, [a]);
      const sb = await open(t, via, [b]);
      await publish(t, a, "for-a");
      assert.deepEqual(await notificationIds(sa, 1), ["for-a"]);
      await nothingElse(t, sb, b);
      await sa.close();
      await sb.close();
    },
  ],

  [
    "a role or topic event reaches every holder once, across shards, and nobody else",
    async (t, via) => {
      const role = unique("role:r");
      const topic = unique("topic:t");
      const [a, b, c] = [userIn(0), userIn(1), userIn(0)];
      const holderA = await open(t, via, [a, role]);
      const holderB = await open(t, via, [b, role, topic]);
      const outsider = await open(t, via, [c]);
      assert.deepEqual(JSON.parse(holderB.connected.data).channels, [
        b,
        role,
        topic,
      ]);
      const sent = await publish(t, role, "r1");
      assert.deepEqual(sent.delivered, 2);
      // Who holds it, each once: where the new unread counts go.
      assert.deepEqual(
        (await online(t, [role, topic])).sort(),
        [a, b].map((u) => u.slice("user:".length)).sort(),
      );
      await publish(t, topic, "t1");
      assert.deepEqual(await notificationIds(holderA, 1), ["r1"]);
      assert.deepEqual(await notificationIds(holderB, 2), ["r1", "t1"]);
      await nothingElse(t, outsider, c);
      await outsider.close();
      await holderB.close();

      // Away, then back: user and role events missed are replayed, once.
      await publish(t, a, "a1");
      const last = await holderA.event();
      await holderA.close();
      await publish(t, role, "r2");
      await publish(t, a, "a2");
      const back = await open(t, via, [a, role], {
        lastEventId: last.id ?? "",
      });
      assert.deepEqual(await notificationIds(back, 2), ["r2", "a2"]);
      await nothingElse(t, back, a);
      await back.close();
    },
  ],

  [
    "a connection with more roles and topics than socket tags hold gets them all",
    async (t, via) => {
      const user = unique("user:u");
      const roles = Array.from({ length: 12 }, (_, i) => `role:many-${i}`);
      const s = await open(t, via, [user, ...roles]);
      for (const role of [roles[0], roles[11]]) {
        await publish(t, role ?? "", `${role}-event`);
      }
      assert.deepEqual(await notificationIds(s, 2), [
        "role:many-0-event",
        "role:many-11-event",
      ]);
      await s.close();
    },
  ],

  [
    "a shard at its connection cap answers 429 with the error envelope",
    async (t, via) => {
      await untilHolds(
        () => status(t),
        (s) => s.subscribers === 0,
        "every earlier connection gone",
      );
      const user = userIn(0);
      const held = [];
      for (let i = 0; i < LIMITS.maxConnections; i++) {
        held.push(await open(t, via, [user]));
      }
      const url = streamUrl(t, [user], {}, via);
      const refused = via === "sse"
        ? await fetch(url).then(async (res) => ({
          status: res.status,
          retryAfter: res.headers.get("retry-after"),
          body: await res.text(),
        }))
        : await refusedUpgrade(url).then((r) => ({
          ...r,
          retryAfter: /retry-after: (\d+)/i.exec(r.head)?.[1] ?? null,
        }));
      assert.deepEqual(refused.status, 429);
      assert.ok(Number(refused.retryAfter) > 0);
      const body = errorBody.parse(JSON.parse(refused.body));
      assert.deepEqual(body.error.code, "rate_limited");
      assert.deepEqual(body.error.requestId, "req-test");
      // Room again once one leaves.
      await held.pop()?.close();
      await untilHolds(
        () => channelStatus(t, user),
        (c) => c?.subscribers === LIMITS.maxConnections - 1,
        "the departure counted",
      );
      held.push(await open(t, via, [user]));
      for (const s of held) await s.close();
      // Leave the shard with room for the cases that follow.
      await untilHolds(
        () => status(t),
        (s) => s.subscribers === 0,
        "every connection of this case gone",
      );
    },
  ],

  ["a closed connection is removed and status reports it", async (t, via) => {
    const user = unique("user:u");
    const role = unique("role:r");
    const single = await open(t, via, [user], { heartbeatMs: 100 });
    const withRole = await open(t, via, [user, role], { heartbeatMs: 100 });
    await publish(t, user, "n1");
    await untilHolds(
      () => channelStatus(t, user),
      (c) => c?.subscribers === 2,
      "two connections of the user",
    );
    assert.deepEqual(await channelStatus(t, role), {
      name: role,
      subscribers: 1,
    });
    const shards = (await status(t)).shards;
    assert.ok(shards.some((s) => s.lastSeq > 0 && s.logSize > 0));
    assert.ok(
      shards.some((s) => (via === "sse" ? s.sse : s.websocket) >= 2),
      JSON.stringify(shards),
    );
    await single.close();
    await untilHolds(
      () => channelStatus(t, user),
      (c) => c?.subscribers === 1,
      "one left",
    );
    await withRole.close();
    await untilHolds(
      () => status(t),
      (s) => !s.channels.some((c) => c.name === user || c.name === role),
      "none left",
    );
  }],

  ["heartbeats keep coming while nothing is published", async (t, via) => {
    const s = await open(t, via, [unique("user:u")], { heartbeatMs: 50 });
    await s.heartbeat();
    await s.heartbeat();
    await s.close();
  }],

  [
    "the browser client resumes after a drop with a new token and shows each notification once",
    async (t, via) => {
      const user = unique("user:u");
      const role = unique("role:r");
      const states: ConnectionState[] = [];
      const shown: string[] = [];
      const counts: number[] = [];
      const tokens: string[] = [];
      const until = (what: string, check: () => boolean) =>
        untilHolds(() => Promise.resolve(check()), Boolean, what);
      const client = new HeraldClient({
        baseUrl: t.url,
        transport: via,
        getStreamToken: () => {
          tokens.push(`t${tokens.length}|${user},${role}`);
          return Promise.resolve(tokens.at(-1) ?? "");
        },
        onState: (s) => states.push(s),
        onNotification: (n) => shown.push(notification.parse(n).id),
        onCount: (n) => counts.push(n),
        backoff: { initialMs: 20, maxMs: 100 },
      });
      try {
        await until("open", () => client.state === "open");
        await publish(t, user, "n1");
        await publish(t, role, "n1"); // the same notification via a role
        await publish(t, user, "c1", { event: "count", data: { unread: 3 } });
        await until("the count", () => counts.length === 1);
        assert.deepEqual(shown, ["n1"]);
        assert.deepEqual(client.unread, 3);
        if (t.dropAll) {
          t.dropAll();
          await until("the drop", () => states.includes("reconnecting"));
          await publish(t, user, "n2");
          await until("the missed one", () => shown.length === 2);
          assert.deepEqual(shown, ["n1", "n2"]);
          assert.ok(tokens.length >= 2, "reconnected with a fresh token");
          await until("open again", () => client.state === "open");
        }
      } finally {
        client.close();
      }
      assert.deepEqual(states.at(-1), "closed");
    },
  ],
];

/** What only shard objects have: requests to count. */
const workerdOnly: Case[] = [
  [
    "a user's event is one request to one shard; a broadcast one per shard",
    async (t) => {
      const before = await shardCalls(t);
      await publish(t, unique("user:u"), "n1");
      const afterUser = await shardCalls(t);
      assert.deepEqual(afterUser.publish - before.publish, 1);
      await publish(t, unique("role:r"), "r1");
      const afterRole = await shardCalls(t);
      assert.deepEqual(afterRole.publish - afterUser.publish, SHARDS);
    },
  ],
];

const websocketOnly: Case[] = [
  [
    "a WebSocket whose pings stop is closed as dead",
    async (t) => {
      const user = unique("user:u");
      // Opened, then silent: no pings at all.
      const ws = new WebSocket(
        streamUrl(t, [user], { heartbeatMs: 20 }, "websocket"),
      );
      const closed = new Promise<number>((resolve) =>
        ws.addEventListener("close", (e) => resolve(e.code))
      );
      await new Promise((resolve) => ws.addEventListener("open", resolve));
      // A shard checks a direct socket as it writes to it (a timer would
      // keep it awake): keep sending it events until it is closed.
      let code: number | null = null;
      void closed.then((c) => code = c);
      await untilHolds(
        async () => {
          await publish(t, user, "are-you-there");
          return code;
        },
        (c) => c !== null,
        "the silent socket closed",
      );
      assert.deepEqual(code, 4000);
    },
  ],
];

for (
  const [label, start] of [
    ["on shard Durable Objects in workerd", () => startWorkerd()],
    ["in process on Deno", startInProcess],
  ] as const
) {
  Deno.test(`realtime channels ${label}`, async (t) => {
    const target = await start();
    try {
      for (const via of ["sse", "websocket"] as const) {
        for (const [name, run] of cases) {
          await t.step(`${via}: ${name}`, () => run(target, via));
        }
      }
      for (const [name, run] of websocketOnly) {
        await t.step(`websocket: ${name}`, () => run(target, "websocket"));
      }
      if (label.includes("workerd")) {
        for (const [name, run] of workerdOnly) {
          await t.step(name, () => run(target, "sse"));
        }
      }
    } finally {
      await target.close();
    }
  });
}
