import assert from "node:assert/strict";
import {
  clickUrl,
  FALLBACK_TITLE,
  markReadRequest,
  notificationOptions,
  parsePushMessage,
  shownData,
  windowFor,
} from "../../src/client/push_message.ts";
import type {
  PushManagerLike,
  PushSubscriptionLike,
} from "../../src/client/push_subscription.ts";
import {
  installPushHandlers,
  type WindowLike,
  workerBaseUrl,
  type WorkerScopeLike,
} from "../../src/client/push_worker.ts";

const BASE = "https://herald.example/";

Deno.test("parsePushMessage() reads Herald's payload and tolerates a title-only or broken one", () => {
  const full = {
    id: "n1",
    title: "Standup",
    body: "In 5 minutes",
    severity: "high",
    unread: 3,
    url: "/inbox",
    actionToken: "tok",
  };
  assert.deepEqual(parsePushMessage(JSON.stringify(full)), full);
  // What Herald resends after a 413: no body.
  const titleOnly = parsePushMessage('{"id":"n2","title":"Long one"}');
  assert.deepEqual([titleOnly.title, titleOnly.body], ["Long one", null]);
  for (const broken of [null, "", "not json", "[]", '{"title":""}']) {
    const message = parsePushMessage(broken);
    assert.deepEqual([message.title, message.id], [FALLBACK_TITLE, null]);
  }
  assert.deepEqual(parsePushMessage('{"title":"x","unread":-1}').unread, null);
});

Deno.test("notificationOptions() tags by notification id and keeps what a click needs", () => {
  const message = parsePushMessage(
    '{"id":"n1","title":"T","body":"B","severity":"critical","url":"/a","actionToken":"tok"}',
  );
  assert.deepEqual(notificationOptions(message, BASE), {
    body: "B",
    tag: "n1",
    requireInteraction: true,
    data: { id: "n1", url: "https://herald.example/a", actionToken: "tok" },
  });
  const bare = notificationOptions(parsePushMessage(null), BASE);
  assert.deepEqual(bare, {
    requireInteraction: false,
    data: { id: null, url: BASE, actionToken: null },
  });
});

Deno.test("clickUrl() opens only http(s) URLs, paths on the worker's site", () => {
  assert.deepEqual(
    clickUrl("https://app.example/x", BASE),
    "https://app.example/x",
  );
  assert.deepEqual(
    clickUrl("/inbox?id=1", "https://app.example/"),
    "https://app.example/inbox?id=1",
  );
  for (const bad of ["javascript:alert(1)", "data:text/html,x", "http://["]) {
    assert.deepEqual(clickUrl(bad, BASE), BASE, bad);
  }
  assert.deepEqual(clickUrl(null, BASE), BASE);
});

Deno.test("markReadRequest() posts the action token for that notification only", () => {
  assert.deepEqual(
    markReadRequest(
      { id: "n 1/x", url: BASE, actionToken: "a.b.c" },
      "https://h.example/herald",
    ),
    {
      url:
        "https://h.example/herald/v1/notifications/n%201%2Fx/read?token=a.b.c",
      init: { method: "POST" },
    },
  );
  assert.deepEqual(
    markReadRequest({ id: "n1", url: BASE, actionToken: null }, BASE),
    null,
  );
  assert.deepEqual(
    markReadRequest({ id: null, url: BASE, actionToken: "t" }, BASE),
    null,
  );
});

Deno.test("shownData() and windowFor() read back what was stored, ignoring hashes", () => {
  assert.deepEqual(shownData({ id: "n1", url: BASE, actionToken: "t" }), {
    id: "n1",
    url: BASE,
    actionToken: "t",
  });
  assert.deepEqual(shownData(null), null);
  assert.deepEqual(shownData({ id: "n1" }), null);
  const windows = [{ url: "https://a.example/x#top" }, { url: BASE }];
  assert.equal(windowFor(windows, "https://a.example/x"), windows[0]);
  assert.deepEqual(windowFor(windows, "https://a.example/y"), null);
});

Deno.test("workerBaseUrl() is the folder above /client/, or ?base=", () => {
  assert.deepEqual(
    workerBaseUrl("https://h.example/herald/client/herald-sw.js"),
    "https://h.example/herald/",
  );
  assert.deepEqual(
    workerBaseUrl(
      "https://app.example/sw.js?base=https%3A%2F%2Fh.example%2Fherald%2F",
    ),
    "https://h.example/herald/",
  );
});

/** A worker scope whose parts record what the handlers did with them. */
function fakeScope(options: { windows?: WindowLike[] } = {}) {
  const listeners = new Map<string, (event: unknown) => void>();
  const shown: { title: string; options: NotificationOptions }[] = [];
  const fetched: { url: string; method: string }[] = [];
  const opened: string[] = [];
  const badges: number[] = [];
  const subscribed: string[] = [];
  const fresh: PushSubscriptionLike = {
    endpoint: "https://push.example/new",
    toJSON: () => ({
      endpoint: "https://push.example/new",
      expirationTime: null,
      keys: { p256dh: "P", auth: "A" },
    }),
    unsubscribe: () => Promise.resolve(true),
  };
  const pushManager: PushManagerLike = {
    getSubscription: () => Promise.resolve(null),
    subscribe: (o) => {
      subscribed.push(o.applicationServerKey);
      return Promise.resolve(fresh);
    },
  };
  const scope: WorkerScopeLike = {
    location: { href: "https://herald.example/client/herald-sw.js" },
    addEventListener: (type, listener) =>
      listeners.set(type, listener as (event: unknown) => void),
    registration: {
      pushManager,
      showNotification: (title, o) => {
        shown.push({ title, options: o });
        return Promise.resolve();
      },
    },
    clients: {
      matchAll: () => Promise.resolve(options.windows ?? []),
      openWindow: (url) => {
        opened.push(url);
        return Promise.resolve(null);
      },
    },
    navigator: {
      setAppBadge: (n) => {
        badges.push(n);
        return Promise.resolve();
      },
    },
    fetch: (url, init) => {
      fetched.push({ url, method: init?.method ?? "GET" });
      return Promise.resolve(
        Response.json(
          url.endsWith("/v1/push/vapid-key") ? { publicKey: "KEY" } : {},
        ),
      );
    },
  };
  installPushHandlers(scope);
  /** Dispatches an event and waits for everything it handed waitUntil. */
  const dispatch = async (type: string, event: object) => {
    const pending: Promise<unknown>[] = [];
    listeners.get(type)?.({
      ...event,
      waitUntil: (p: Promise<unknown>) => pending.push(p),
    });
    await Promise.all(pending);
  };
  return { dispatch, shown, fetched, opened, badges, subscribed };
}

const pushData = (payload: unknown) => ({
  data: { text: () => JSON.stringify(payload) },
});

Deno.test("the push handler always shows a notification and sets the badge", async () => {
  const sw = fakeScope();
  await sw.dispatch(
    "push",
    pushData({ id: "n1", title: "Hi", unread: 4, actionToken: "t" }),
  );
  await sw.dispatch("push", { data: null });
  assert.deepEqual(sw.shown.map((s) => [s.title, s.options.tag]), [
    ["Hi", "n1"],
    [FALLBACK_TITLE, undefined],
  ]);
  assert.deepEqual(sw.badges, [4]);
});

Deno.test("a click marks the item read with its token and focuses the open window of its URL", async () => {
  const focused: string[] = [];
  const window = (url: string): WindowLike => ({
    url,
    focus: () => {
      focused.push(url);
      return Promise.resolve();
    },
    postMessage: () => {},
  });
  const sw = fakeScope({
    windows: [window("https://herald.example/a"), window(BASE)],
  });
  let closed = 0;
  const click = (data: unknown) =>
    sw.dispatch("notificationclick", {
      notification: { data, close: () => closed++ },
    });
  await click({ id: "n1", url: BASE, actionToken: "tok" });
  assert.deepEqual(sw.fetched, [{
    url: "https://herald.example/v1/notifications/n1/read?token=tok",
    method: "POST",
  }]);
  assert.deepEqual(focused, [BASE]);
  assert.deepEqual(sw.opened, []);
  // No window on that URL: one is opened; no token: nothing is marked.
  await click({ id: "n2", url: "https://app.example/", actionToken: null });
  assert.deepEqual(sw.opened, ["https://app.example/"]);
  assert.equal(sw.fetched.length, 1);
  assert.equal(closed, 2);
});

Deno.test("pushsubscriptionchange re-subscribes with Herald's key and tells the open windows", async () => {
  const messages: unknown[] = [];
  const sw = fakeScope({
    windows: [{
      url: BASE,
      focus: () => Promise.resolve(),
      postMessage: (m) => messages.push(m),
    }],
  });
  await sw.dispatch("pushsubscriptionchange", {
    oldSubscription: { endpoint: "https://push.example/old" },
    newSubscription: null,
  });
  assert.deepEqual(sw.fetched, [{
    url: "https://herald.example/v1/push/vapid-key",
    method: "GET",
  }]);
  assert.deepEqual(sw.subscribed, ["KEY"]);
  assert.deepEqual(messages, [{
    type: "herald:push-subscription-change",
    oldEndpoint: "https://push.example/old",
    subscription: {
      endpoint: "https://push.example/new",
      expirationTime: null,
      keys: { p256dh: "P", auth: "A" },
    },
  }]);
});
