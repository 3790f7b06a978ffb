import assert from "node:assert/strict";
import { backoffDelay, DEFAULT_BACKOFF } from "../../src/client/backoff.ts";
import {
  type ConnectionState,
  HeraldClient,
} from "../../src/client/herald_client.ts";
import { RecentIds } from "../../src/client/recent_ids.ts";
import { FakeSource } from "../support/fake_event_source.ts";
import {
  notificationId,
  parsePayload,
  unreadCount,
} from "../../src/client/stream_events.ts";
import { streamUrl } from "../../src/client/herald_url.ts";

Deno.test("backoffDelay() stays in [0, cap) with a cap that doubles up to maxMs", () => {
  const options = { initialMs: 100, maxMs: 5000, factor: 2 };
  const almostOne = 1 - Number.EPSILON;
  const caps = [100, 200, 400, 800, 1600, 3200, 5000, 5000];
  caps.forEach((cap, attempt) => {
    assert.deepEqual(backoffDelay(attempt, options, () => 0), 0);
    const top = backoffDelay(attempt, options, () => almostOne);
    assert.ok(top < cap && top >= cap - 1, `attempt ${attempt}: ${top}`);
  });
  assert.deepEqual(backoffDelay(10_000, options, () => 0.5), 2500);
});

Deno.test("backoffDelay() spreads retries over the whole window (full jitter)", () => {
  const delays = Array.from({ length: 2000 }, () => backoffDelay(3));
  const cap = DEFAULT_BACKOFF.initialMs * 8;
  assert.ok(delays.every((d) => d >= 0 && d < cap));
  assert.ok(Math.min(...delays) < cap * 0.1);
  assert.ok(Math.max(...delays) > cap * 0.9);
});

Deno.test("RecentIds reports repeats and forgets the oldest beyond its window", () => {
  const ids = new RecentIds(3);
  assert.deepEqual(["a", "b", "a", "c", "d"].map((id) => ids.seen(id)), [
    false,
    false,
    true,
    false,
    false,
  ]);
  assert.deepEqual(ids.seen("a"), false); // evicted by "d"
  assert.deepEqual(ids.seen("d"), true);
});

Deno.test("payload helpers ignore anything that is not the expected shape", () => {
  assert.deepEqual(parsePayload('{"id":"n1","title":"Hi"}'), {
    id: "n1",
    title: "Hi",
  });
  for (const bad of ["", "nope", "[1]", "null", "3", undefined]) {
    assert.deepEqual(parsePayload(bad), null, String(bad));
  }
  assert.deepEqual(notificationId({ id: "n1" }), "n1");
  assert.deepEqual(notificationId({ id: 7 }), "7");
  assert.deepEqual(notificationId({ id: "" }), null);
  assert.deepEqual(notificationId({}), null);
  assert.deepEqual(unreadCount({ unread: 4 }), 4);
  for (const bad of [-1, 1.5, "4", null]) {
    assert.deepEqual(unreadCount({ unread: bad }), null);
  }
});

Deno.test("streamUrl() puts the token and the last event id in the query", () => {
  assert.deepEqual(
    streamUrl("https://h.example/api", "t.k+n", "1.AbCd_-121"),
    "https://h.example/api/v1/stream?token=t.k%2Bn&lastEventId=1.AbCd_-121",
  );
  assert.deepEqual(
    streamUrl("https://h.example/", "tok", null),
    "https://h.example/v1/stream?token=tok",
  );
});

function harness(opts: { failTokens?: number } = {}) {
  const sources: FakeSource[] = [];
  const states: ConnectionState[] = [];
  const notifications: unknown[] = [];
  const counts: number[] = [];
  let resets = 0;
  let tokens = 0;
  let failTokens = opts.failTokens ?? 0;
  const client = new HeraldClient({
    baseUrl: "https://h.example",
    getStreamToken: () => {
      if (failTokens-- > 0) return Promise.reject(new Error("offline"));
      return Promise.resolve(`token-${++tokens}`);
    },
    onNotification: (n) => notifications.push(n),
    onCount: (n) => counts.push(n),
    onState: (s) => states.push(s),
    onReset: () => resets++,
    openSource: (url) => {
      const source = new FakeSource(url);
      sources.push(source);
      return source;
    },
    random: () => 0, // retry at once
  });
  const latest = () => {
    const source = sources.at(-1);
    if (!source) throw new Error("no EventSource opened yet");
    return source;
  };
  return {
    client,
    sources,
    states,
    notifications,
    counts,
    latest,
    resets: () => resets,
  };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

Deno.test("HeraldClient opens with a token and reports connecting, then open", async () => {
  const h = harness();
  await tick();
  assert.deepEqual(h.latest().url, "https://h.example/v1/stream?token=token-1");
  assert.deepEqual(h.client.state, "connecting");
  h.latest().emit("connected", { channels: ["user:a"] }, "1.AbCd_-120");
  assert.deepEqual(h.states, ["connecting", "open"]);
  h.client.close();
  assert.deepEqual(h.states, ["connecting", "open", "closed"]);
});

Deno.test("HeraldClient shows each notification once and tracks the unread count", async () => {
  const h = harness();
  await tick();
  const source = h.latest();
  source.emit("connected", {}, "1.AbCd_-120");
  source.emit("notification", { id: "n1", title: "a" }, "1.AbCd_-121");
  source.emit("notification", { id: "n1", title: "a" }, "1.AbCd_-122");
  source.emit("notification", { id: "n2", title: "b" }, "1.AbCd_-123");
  source.emit("count", { unread: 2 }, "1.AbCd_-124");
  source.emit("count", { unread: "lots" }, "1.AbCd_-125");
  assert.deepEqual(h.notifications, [
    { id: "n1", title: "a" },
    { id: "n2", title: "b" },
  ]);
  assert.deepEqual(h.counts, [2]);
  assert.deepEqual(h.client.unread, 2);
  assert.deepEqual(h.client.lastEventId, "1.AbCd_-125");
  h.client.close();
});

Deno.test("after an error HeraldClient closes the EventSource and resumes with a new token", async () => {
  const h = harness();
  await tick();
  const first = h.latest();
  first.emit("connected", {}, "1.AbCd_-120");
  first.emit("notification", { id: "n1" }, "1.AbCd_-121");
  first.fail();
  assert.ok(first.closed);
  assert.deepEqual(h.client.state, "reconnecting");
  await tick();
  const second = h.latest();
  assert.notEqual(second, first);
  assert.deepEqual(
    second.url,
    "https://h.example/v1/stream?token=token-2&lastEventId=1.AbCd_-121",
  );
  // The replay resends nothing new here, but a duplicate would be dropped.
  second.emit("connected", {}, "1.AbCd_-121");
  second.emit("notification", { id: "n1" }, "1.AbCd_-121");
  second.emit("reset", { channel: "role:x" }, "1.AbCd_-125");
  assert.deepEqual(h.notifications.length, 1);
  assert.deepEqual(h.resets(), 1);
  assert.deepEqual(h.states, ["connecting", "open", "reconnecting", "open"]);
  // Events from the closed EventSource are ignored.
  first.emit("notification", { id: "late" }, "1.AbCd_-129");
  assert.deepEqual(h.notifications.length, 1);
  h.client.close();
});

Deno.test("HeraldClient retries when the token cannot be fetched", async () => {
  const h = harness({ failTokens: 2 });
  await tick();
  await tick();
  await tick();
  assert.deepEqual(h.sources.length, 1);
  assert.match(h.latest().url, /token=token-1/);
  h.client.close();
});

Deno.test("a closed HeraldClient never reconnects", async () => {
  const h = harness();
  await tick();
  h.client.close();
  h.latest().fail();
  await tick();
  assert.deepEqual(h.sources.length, 1);
  assert.deepEqual(h.client.state, "closed");
});

Deno.test("HeraldClient given a lastEventId resumes from it on its first connect", async () => {
  const sources: FakeSource[] = [];
  const client = new HeraldClient({
    baseUrl: "https://h.example",
    getStreamToken: () => Promise.resolve("tok"),
    lastEventId: "7.Abc",
    openSource: (url) => {
      const source = new FakeSource(url);
      sources.push(source);
      return source;
    },
  });
  await tick();
  client.close();
  assert.deepEqual(
    sources.map((s) => s.url),
    ["https://h.example/v1/stream?token=tok&lastEventId=7.Abc"],
  );
  assert.deepEqual(client.lastEventId, "7.Abc");
});
