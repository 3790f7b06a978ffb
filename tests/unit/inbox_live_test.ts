import assert from "node:assert/strict";
import { eventually } from "@herald/testing";
import type { WebSocketLike } from "../../src/client/herald_client.ts";
import type { Connection } from "../../src/client/inbox/feed_state.ts";
import type {
  InboxItem,
  InboxPage,
} from "../../src/client/inbox/inbox_item.ts";
import { FakeSource } from "../support/fake_event_source.ts";
import { InboxStore } from "../../src/client/inbox/inbox_store.ts";
import { LiveFeed } from "../../src/client/inbox/live_feed.ts";
import {
  type ChannelLike,
  type LocksLike,
  parseTabMessage,
  TabHub,
} from "../../src/client/inbox/tab_hub.ts";

/**
 * The live side of the inbox without a browser: the polling fallback over
 * scripted streams, the tab leader over in-memory locks and channels, and
 * the store over a scripted Herald.
 */

/** A stream the test scripts: it opens (says `connected`) or fails. */
function scriptedSource(url: string, works: boolean): FakeSource {
  const source = new FakeSource(url);
  queueMicrotask(() =>
    works ? source.emit("connected", { unread: 0 }) : source.fail()
  );
  return source;
}

/** A socket that is refused: it closes at once. */
function refusedSocket(): WebSocketLike {
  const closers: (() => void)[] = [];
  queueMicrotask(() => closers.forEach((c) => c()));
  return {
    addEventListener(type, listener) {
      if (type === "close") closers.push(() => listener({}));
    },
    send() {},
    close() {},
  };
}

function item(id: string, minute = 0): InboxItem {
  return {
    id,
    type: "t",
    title: id,
    body: "",
    severity: "high",
    data: null,
    createdAt: `2026-12-07T10:${String(minute).padStart(2, "0")}:00.000Z`,
    readAt: null,
  };
}

Deno.test("LiveFeed polls the count and first page when no stream holds, and streams again when one does", async () => {
  let streamWorks = false;
  const sources: FakeSource[] = [];
  const connections: Connection[] = [];
  const counts: number[] = [];
  const pages: InboxPage[] = [];
  let polls = 0;
  let sockets = 0;
  const feed = new LiveFeed({
    api: {
      baseUrl: "https://h.example",
      streamToken: () => Promise.resolve("tok"),
      count: () => Promise.resolve(++polls),
      page: () =>
        Promise.resolve({ items: [item(`p${polls}`)], nextCursor: null }),
    },
    onCount: (n) => counts.push(n),
    onNotification: () => {},
    onPage: (p) => pages.push(p),
    onConnection: (c) => connections.push(c),
    onReset: () => {},
    backoff: { initialMs: 1, maxMs: 2 },
    poll: { initialMs: 10, maxMs: 40 },
    openSource: (url) => {
      const source = scriptedSource(url, streamWorks);
      sources.push(source);
      return source;
    },
    openSocket: () => {
      sockets++;
      return refusedSocket();
    },
  });
  try {
    await eventually(
      "polling",
      () => Promise.resolve(connections.includes("polling") || null),
    );
    await eventually("three polls", () => Promise.resolve(polls >= 3 || null));
    assert.deepEqual(connections.slice(0, 3), [
      "connecting",
      "reconnecting",
      "polling",
    ]);
    assert.ok(counts.length >= 2 && pages.length >= 2);
    assert.ok(sockets >= 1, "the probes try a WebSocket too");
    streamWorks = true;
    await eventually(
      "open again",
      () => Promise.resolve(connections.at(-1) === "open" || null),
    );
    // No more polls once open: none running, none waiting for its timer
    // (a poll is the only thing that opens another source).
    await eventually(
      "no poll pending",
      () => Promise.resolve(!feed.pollPending || null),
    );
    assert.deepEqual(connections.at(-1), "open");
    assert.ok(
      sources.slice(0, -1).every((s) => s.closed),
      "failed probes are closed",
    );
    assert.deepEqual(sources.at(-1)?.closed, false);
  } finally {
    feed.close();
  }
  assert.deepEqual(connections.at(-1), "closed");
});

Deno.test("LiveFeed polls at once when a stream never says connected (a buffering proxy)", async () => {
  const connections: Connection[] = [];
  let polls = 0;
  const feed = new LiveFeed({
    api: {
      baseUrl: "https://h.example",
      streamToken: () => Promise.resolve("tok"),
      count: () => Promise.resolve(++polls),
      page: () => Promise.resolve({ items: [], nextCursor: null }),
    },
    onCount: () => {},
    onNotification: () => {},
    onPage: () => {},
    onConnection: (c) => connections.push(c),
    onReset: () => {},
    openTimeoutMs: 20,
    poll: { initialMs: 1000, maxMs: 1000 },
    openSource: () => ({ addEventListener() {}, close() {} }),
  });
  try {
    await eventually("a poll", () => Promise.resolve(polls >= 1 || null));
    assert.deepEqual(connections, ["connecting", "polling"]);
  } finally {
    feed.close();
  }
});

/** Web Locks in memory: one holder per name, the rest queued in order. */
function memoryLocks(): LocksLike {
  const queues = new Map<string, { run: () => void; signal: AbortSignal }[]>();
  const held = new Set<string>();
  const next = (name: string) => {
    const queue = queues.get(name) ?? [];
    let waiter = queue.shift();
    while (waiter?.signal.aborted) waiter = queue.shift();
    if (waiter) waiter.run();
    else held.delete(name);
  };
  return {
    request(name, { signal }, callback) {
      return new Promise((resolve, reject) => {
        const run = () => {
          held.add(name);
          callback().finally(() => next(name)).then(resolve, reject);
        };
        signal.addEventListener("abort", () => reject(new Error("aborted")));
        if (held.has(name)) {
          queues.set(name, [...(queues.get(name) ?? []), { run, signal }]);
        } else run();
      });
    },
  };
}

/** BroadcastChannel in memory: a message reaches every other open channel. */
function memoryChannels(): (name: string) => ChannelLike {
  const open = new Set<{ name: string; deliver: (data: unknown) => void }>();
  return (name) => {
    const listeners: ((e: { data: unknown }) => void)[] = [];
    const self = {
      name,
      deliver: (data: unknown) => listeners.forEach((l) => l({ data })),
    };
    open.add(self);
    return {
      postMessage(message) {
        const copy = structuredClone(message);
        for (const other of open) {
          if (other !== self && other.name === name) {
            queueMicrotask(() => other.deliver(copy));
          }
        }
      },
      addEventListener(_type, listener) {
        listeners.push(listener);
      },
      close() {
        open.delete(self);
      },
    };
  };
}

Deno.test("TabHub: one tab leads, the others hear it, and the next leads when it closes", async () => {
  const locks = memoryLocks();
  const openChannel = memoryChannels();
  const led: string[] = [];
  const heard: string[] = [];
  const hub = (name: string) =>
    new TabHub({
      key: "h ada",
      locks,
      openChannel,
      lead: () => {
        led.push(name);
        return () => led.push(`${name} stopped`);
      },
      onMessage: (m) => heard.push(`${name}:${m.t}`),
    });
  const first = hub("first");
  const second = hub("second");
  await eventually("a leader", () => Promise.resolve(led.length > 0 || null));
  assert.deepEqual([first.leading, second.leading], [true, false]);
  assert.ok(heard.includes("first:hello"), "the leader hears the newcomer");
  first.post({ t: "count", unread: 3 });
  await eventually(
    "the count relayed",
    () => Promise.resolve(heard.includes("second:count") || null),
  );
  assert.ok(!heard.includes("first:count"), "a tab does not hear itself");
  first.close();
  await eventually(
    "a new leader",
    () => Promise.resolve(second.leading || null),
  );
  assert.deepEqual(led, ["first", "first stopped", "second"]);
  second.close();
});

Deno.test("TabHub without Web Locks or BroadcastChannel leads its own tab", () => {
  let led = 0;
  const hub = new TabHub({
    key: "k",
    locks: null,
    openChannel: null,
    lead: () => {
      led++;
      return () => {};
    },
    onMessage: () => {},
  });
  assert.deepEqual([led, hub.leading], [1, true]);
  hub.close();
});

Deno.test("parseTabMessage() drops what is not a tab message", () => {
  assert.deepEqual(parseTabMessage({ t: "read", ids: ["a"], at: "x" }), {
    t: "read",
    ids: ["a"],
    at: "x",
  });
  assert.deepEqual(
    parseTabMessage({ t: "read", ids: "all", at: "x" })?.t,
    "read",
  );
  for (
    const bad of [
      null,
      "x",
      { t: "nope" },
      { t: "count", unread: -2 },
      {
        t: "read",
        ids: [1],
        at: "x",
      },
      { t: "connection", connection: "weird" },
      { t: "item", item: {} },
    ]
  ) {
    assert.deepEqual(parseTabMessage(bad), null, JSON.stringify(bad));
  }
});

/** Herald's inbox routes for one user, scripted. */
function scriptedHerald(items: InboxItem[]) {
  let unread = items.length;
  let refuseReads = false;
  const calls: string[] = [];
  const fetch = (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(String(input));
    const method = init?.method ?? "GET";
    calls.push(`${method} ${url.pathname}`);
    const json = (body: unknown, status = 200) =>
      Promise.resolve(new Response(JSON.stringify(body), { status }));
    if (url.pathname === "/v1/stream/token") return json({ token: "st" });
    if (url.pathname.endsWith("/count")) return json({ unread });
    if (url.pathname.endsWith("/read") || url.pathname.endsWith("/read-all")) {
      if (refuseReads) {
        return json({ error: { code: "unavailable", message: "Down" } }, 503);
      }
      unread = url.pathname.endsWith("/read-all") ? 0 : unread - 1;
      return json({ unread });
    }
    return json({ items, nextCursor: null });
  };
  return {
    fetch,
    calls,
    refuse: (v: boolean) => refuseReads = v,
    setUnread: (n: number) => unread = n,
  };
}

const adaToken = `h.${btoa(JSON.stringify({ sub: "ada" }))}.s`;

Deno.test("InboxStore: two tabs share one stream; a read in one shows in the other at once; a refused read rolls back in both", async () => {
  const herald = scriptedHerald([item("b", 2), item("a", 1)]);
  const locks = memoryLocks();
  const openChannel = memoryChannels();
  const sources: FakeSource[] = [];
  const store = () =>
    new InboxStore({
      baseUrl: "https://h.example",
      getToken: () => Promise.resolve(adaToken),
      fetch: herald.fetch,
      tabs: { locks, openChannel },
      live: {
        openSource: (url) => {
          const s = scriptedSource(url, true);
          sources.push(s);
          return s;
        },
      },
    });
  const one = store();
  const two = store();
  const events: string[] = [];
  two.onEvent((e) => events.push(e.type));
  try {
    await Promise.all([one.start(), two.start()]);
    await eventually("open in both", () =>
      Promise.resolve(
        (one.state.connection === "open" && two.state.connection === "open") ||
          null,
      ));
    assert.deepEqual(sources.length, 1, "one stream for both tabs");
    assert.deepEqual(two.state.items.map((i) => i.id), ["b", "a"]);

    sources[0]?.emit("notification", item("c", 3), "e1");
    herald.setUnread(3);
    sources[0]?.emit("count", { unread: 3 }, "e2");
    await eventually("the follower has it", () =>
      Promise.resolve(
        (two.state.items[0]?.id === "c" && two.state.unread === 3) || null,
      ));
    assert.ok(events.includes("notification") && events.includes("count"));

    await two.markRead("c");
    assert.deepEqual(two.state.unread, 2);
    await eventually(
      "the leader shows the read",
      () => Promise.resolve(one.state.items[0]?.readAt !== null || null),
    );
    assert.ok(herald.calls.includes("POST /v1/users/ada/notifications/c/read"));

    herald.refuse(true);
    await assert.rejects(one.markAllRead(), /Down/);
    assert.deepEqual(one.state.unread, 2);
    assert.ok(one.state.items.slice(1).every((i) => i.readAt === null));
    await eventually("the follower rolled back", () =>
      Promise.resolve(
        (two.state.unread === 2 &&
          two.state.items.slice(1).every((i) => i.readAt === null)) || null,
      ));
  } finally {
    one.close();
    two.close();
  }
});
