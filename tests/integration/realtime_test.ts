import assert from "node:assert/strict";
import {
  type ConnectionState,
  HeraldClient,
} from "../../src/client/herald_client.ts";
import {
  COMPOSITE_2,
  errorBody,
  event,
  eventually,
  LIMITS,
  notification,
  notificationIds,
  open,
  publish,
  startInProcess,
  startWorkerd,
  streamUrl,
  type Target,
  unique,
} from "./fixtures/realtime_harness.ts";
import { SseReader } from "../support/sse_reader.ts";

/**
 * The realtime layer's behaviour over real HTTP and a real SSE reader, run
 * twice with the same cases: against the Durable Objects in workerd and
 * against the in-process hub on Deno (see fixtures/realtime_harness.ts).
 */

// ---- the cases, shared by both targets ------------------------------------

type Case = [name: string, run: (t: Target) => Promise<void>];

const cases: Case[] = [
  [
    "the stream answers at once: SSE headers, then retry and connected in the first chunk",
    async (t) => {
      const user = unique("user:u");
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
      // Nothing published yet: these bytes were sent without waiting for one.
      assert.deepEqual(await sse.next(), { type: "retry", ms: 3000 });
      const connected = await event(sse);
      assert.deepEqual(connected.event, "connected");
      assert.deepEqual(JSON.parse(connected.data), { channels: [user] });
      assert.match(connected.id ?? "", /^1\.[A-Za-z0-9_-]{8}0$/);
      assert.match(sse.chunks[0] ?? "", /^retry: 3000\n\nevent: connected\n/);
      await sse.cancel();
    },
  ],

  ["a published event arrives with its id, once per subscriber", async (t) => {
    const user = unique("user:u");
    const a = await open(t, [user]);
    const b = await open(t, [user]);
    const result = await publish(t, user, "n1");
    assert.deepEqual(result, { seq: 1, duplicate: false, delivered: 2 });
    for (const { sse, connected } of [a, b]) {
      const got = await event(sse);
      assert.deepEqual(got.event, "notification");
      assert.deepEqual(JSON.parse(got.data), { id: "n1" });
      assert.ok(got.id && got.id !== connected.id);
      await sse.cancel();
    }
  }],

  [
    "reconnecting with Last-Event-ID replays exactly the missed events, then goes on live",
    async (t) => {
      const user = unique("user:u");
      const first = await open(t, [user]);
      await publish(t, user, "n1");
      const seen = await event(first.sse);
      await first.sse.cancel();
      await publish(t, user, "n2");
      await publish(t, user, "n3");
      // n4 is published while the reconnect is under way: it must land on
      // one side of the replay/live seam, exactly once.
      const [second] = await Promise.all([
        open(t, [user], { lastEventId: seen.id ?? "", asHeader: true }),
        publish(t, user, "n4"),
      ]);
      assert.deepEqual(second.connected.id, seen.id);
      assert.deepEqual(await notificationIds(second.sse, 3), [
        "n2",
        "n3",
        "n4",
      ]);
      assert.ok(await second.sse.quiet(150), "a duplicate followed the seam");
      await publish(t, user, "n5");
      const n5 = await event(second.sse);
      await second.sse.cancel();
      // The query parameter works the same (first connect of a new page).
      await publish(t, user, "n6");
      const third = await open(t, [user], { lastEventId: n5.id ?? "" });
      assert.deepEqual(await notificationIds(third.sse, 1), ["n6"]);
      await third.sse.cancel();
    },
  ],

  [
    "an id older than the replay log gets a reset, then live events",
    async (t) => {
      const user = unique("user:u");
      const first = await open(t, [user]);
      await first.sse.cancel();
      for (let n = 1; n <= LIMITS.logSize + 2; n++) {
        await publish(t, user, `n${n}`);
      }
      const again = await open(t, [user], {
        lastEventId: first.connected.id ?? "",
        asHeader: true,
      });
      const reset = await event(again.sse);
      assert.deepEqual(reset.event, "reset");
      assert.deepEqual(JSON.parse(reset.data), { channel: user });
      await publish(t, user, "live");
      assert.deepEqual(await notificationIds(again.sse, 1), ["live"]);
      await again.sse.cancel();
    },
  ],

  ["an unparsable or foreign Last-Event-ID gets a reset", async (t) => {
    const user = unique("user:u");
    const other = await open(t, [unique("user:o")]);
    await other.sse.cancel();
    for (const lastEventId of ["garbage", other.connected.id ?? ""]) {
      const s = await open(t, [user], { lastEventId, asHeader: true });
      assert.deepEqual((await event(s.sse)).event, "reset", lastEventId);
      await s.sse.cancel();
    }
  }],

  ["a duplicate key is stored and sent once", async (t) => {
    const user = unique("user:u");
    const s = await open(t, [user]);
    const first = await publish(t, user, "n1", { key: "delivery-1" });
    const again = await publish(t, user, "n1", { key: "delivery-1" });
    assert.deepEqual(again, { seq: first.seq, duplicate: true, delivered: 0 });
    await publish(t, user, "marker");
    assert.deepEqual(await notificationIds(s.sse, 2), ["n1", "marker"]);
    await s.sse.cancel();
    const logged = await publish(t, user, "n2");
    assert.deepEqual(logged.seq, first.seq + 2);
  }],

  [
    "user and role channels merge into one stream; a role event reaches only holders of the role",
    async (t) => {
      const role = unique("role:r");
      const [a, b, c] = [unique("user:a"), unique("user:b"), unique("user:c")];
      const holderA = await open(t, [a, role]);
      const outsider = await open(t, [b]);
      const holderC = await open(t, [c, role]);
      assert.deepEqual(JSON.parse(holderA.connected.data), {
        channels: [a, role],
      });
      assert.match(holderA.connected.id ?? "", COMPOSITE_2);
      await publish(t, role, "r1");
      await publish(t, a, "a1");
      assert.deepEqual(await notificationIds(holderA.sse, 2), ["r1", "a1"]);
      assert.deepEqual(await notificationIds(holderC.sse, 1), ["r1"]);
      assert.ok(await outsider.sse.quiet(150));
      await outsider.sse.cancel();
      await holderC.sse.cancel();

      // Away from both channels, then back: each replays what it missed.
      const lastId = (await (async () => {
        await publish(t, a, "a2");
        return await event(holderA.sse);
      })()).id;
      assert.match(lastId ?? "", COMPOSITE_2);
      await holderA.sse.cancel();
      await publish(t, role, "r2");
      await publish(t, a, "a3");
      const back = await open(t, [a, role], {
        lastEventId: lastId ?? "",
        asHeader: true,
      });
      const replayed = await notificationIds(back.sse, 2);
      assert.deepEqual(replayed.sort(), ["a3", "r2"]);
      assert.ok(await back.sse.quiet(150));
      await back.sse.cancel();
    },
  ],

  [
    "a channel at its subscriber cap answers 429 with the error envelope",
    async (t) => {
      const user = unique("user:u");
      // workerd sees a client go away at its next write to it, so a short
      // heartbeat makes the departure below visible quickly.
      const open3 = [];
      for (let i = 0; i < LIMITS.maxSubscribers; i++) {
        open3.push(await open(t, [user], { heartbeatMs: 100 }));
      }
      const refused = await fetch(streamUrl(t, [user], {}));
      assert.deepEqual(refused.status, 429);
      assert.ok(Number(refused.headers.get("retry-after")) > 0);
      const body = errorBody.parse(await refused.json());
      assert.deepEqual(body.error.code, "rate_limited");
      assert.deepEqual(body.error.requestId, "req-test");
      // A merged request is refused whole, and leaves nothing behind.
      const spare = unique("user:s");
      const mixed = await fetch(streamUrl(t, [spare, user], {}));
      assert.deepEqual(mixed.status, 429);
      await mixed.body?.cancel();
      await eventually(t, spare, (c) => c === null);
      // Room again once one leaves.
      await open3.pop()?.sse.cancel();
      await eventually(
        t,
        user,
        (c) => c?.subscribers === LIMITS.maxSubscribers - 1,
      );
      const fits = await open(t, [user]);
      for (const s of [...open3, fits]) {
        await s.sse.cancel();
      }
    },
  ],

  ["a cancelled reader is removed and status reports it", async (t) => {
    const user = unique("user:u");
    const role = unique("role:r");
    // Both signals at work: the cancel, which workerd passes on at its next
    // write to the dead connection — here the heartbeat.
    const single = await open(t, [user], { heartbeatMs: 100 });
    const merged = await open(t, [user, role], { heartbeatMs: 100 });
    await publish(t, user, "n1");
    const live = await eventually(t, user, (c) => c?.subscribers === 2);
    assert.deepEqual(live, {
      name: user,
      subscribers: 2,
      logSize: 1,
      lastSeq: 1,
    });
    await eventually(t, role, (c) => c?.subscribers === 1);
    await single.sse.cancel();
    await eventually(t, user, (c) => c?.subscribers === 1);
    await merged.sse.cancel();
    await eventually(t, user, (c) => c === null);
    await eventually(t, role, (c) => c === null);
  }],

  ["heartbeat comments arrive at the requested interval", async (t) => {
    for (
      const channels of [[unique("user:u")], [
        unique("user:u"),
        unique("topic:t"),
      ]]
    ) {
      const s = await open(t, channels, { heartbeatMs: 50 });
      const items = [await s.sse.next(), await s.sse.next()];
      assert.deepEqual(items, [
        { type: "comment", text: "hb" },
        { type: "comment", text: "hb" },
      ]);
      await s.sse.cancel();
    }
  }],

  [
    "the browser client resumes after a drop with a new token and shows each notification once",
    async (t) => {
      const user = unique("user:u");
      const role = unique("role:r");
      const states: ConnectionState[] = [];
      const shown: string[] = [];
      const counts: number[] = [];
      const tokens: string[] = [];
      const until = async (what: string, check: () => boolean) => {
        const deadline = Date.now() + 5000;
        while (!check()) {
          assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      };
      const client = new HeraldClient({
        baseUrl: t.url,
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

for (
  const [label, start] of [
    ["on Durable Objects in workerd", startWorkerd],
    ["in process on Deno", startInProcess],
  ] as const
) {
  Deno.test(`realtime channels ${label}`, async (t) => {
    const target = await start();
    try {
      for (const [name, run] of cases) await t.step(name, () => run(target));
    } finally {
      await target.close();
    }
  });
}
