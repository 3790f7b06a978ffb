import { eventually } from "@herald/testing";
import assert from "node:assert/strict";
import {
  PushDevice,
  type PushEnvironment,
  type RegistrationLike,
} from "../../src/client/push_device.ts";
import type {
  PushManagerLike,
  PushSubscriptionLike,
} from "../../src/client/push_subscription.ts";

/**
 * PushDevice against a fake browser: a service worker container, a push
 * manager that makes subscriptions, a permission, localStorage, and a
 * Herald that records every call it gets.
 */

interface Call {
  method: string;
  url: string;
  auth: string | null;
  body: unknown;
}

function fakeBrowser(options: {
  permission?: NotificationPermission;
  answer?: NotificationPermission;
} = {}) {
  let permission = options.permission ?? "default";
  let current: PushSubscriptionLike | null = null;
  let serial = 0;
  const calls: Call[] = [];
  const keys: string[] = [];
  const items = new Map<string, string>();
  const messageListeners: ((event: { data: unknown }) => void)[] = [];
  const registered: string[] = [];
  const subscription = (endpoint: string): PushSubscriptionLike => ({
    endpoint,
    toJSON: () => ({
      endpoint,
      expirationTime: null,
      keys: { p256dh: `p-${endpoint}`, auth: `a-${endpoint}` },
    }),
    unsubscribe: () => {
      current = null;
      return Promise.resolve(true);
    },
  });
  const pushManager: PushManagerLike = {
    getSubscription: () => Promise.resolve(current),
    subscribe: (o) => {
      keys.push(o.applicationServerKey);
      current = subscription(`https://push.example/${++serial}`);
      return Promise.resolve(current);
    },
  };
  const registration: RegistrationLike = {
    pushManager,
    installing: null,
    waiting: null,
    active: { state: "activated", addEventListener: () => {} },
  };
  const env: PushEnvironment = {
    serviceWorker: {
      register: (url) => {
        registered.push(url);
        return Promise.resolve(registration);
      },
      getRegistration: () =>
        Promise.resolve(registered.length > 0 ? registration : undefined),
      addEventListener: (_type, listener) => messageListeners.push(listener),
    },
    notification: {
      get permission() {
        return permission;
      },
      requestPermission: () => {
        permission = options.answer ?? "granted";
        return Promise.resolve(permission);
      },
    },
    storage: {
      getItem: (k) => items.get(k) ?? null,
      setItem: (k, v) => void items.set(k, v),
      removeItem: (k) => void items.delete(k),
    },
    fetch: async (url, init) => {
      const body = typeof init?.body === "string"
        ? JSON.parse(init.body)
        : null;
      calls.push({
        method: init?.method ?? "GET",
        url,
        auth: new Headers(init?.headers).get("authorization"),
        body,
      });
      if (url.endsWith("/v1/push/vapid-key")) {
        return Response.json({ publicKey: "VAPID" });
      }
      return await Promise.resolve(new Response(null, { status: 204 }));
    },
  };
  const device = (userId = "ada") =>
    new PushDevice("https://herald.example", {
      userId,
      getAuthToken: () => Promise.resolve(`jwt-${userId}`),
    }, env);
  return {
    device,
    calls,
    keys,
    registered,
    items,
    rotate: () => {
      current = subscription(`https://push.example/${++serial}`);
    },
    post: (data: unknown) => messageListeners.forEach((l) => l({ data })),
  };
}

const SUBSCRIPTIONS = "https://herald.example/v1/users/ada/push-subscriptions";

Deno.test("enable() asks once, registers Herald's worker, subscribes with the VAPID key and PUTs the device", async () => {
  const browser = fakeBrowser();
  const device = browser.device();
  assert.deepEqual(await device.state(), "off");
  await device.enable({ label: "Laptop" });
  assert.deepEqual(browser.registered, [
    "https://herald.example/client/herald-sw.js",
  ]);
  assert.deepEqual(browser.keys, ["VAPID"]);
  assert.deepEqual(browser.calls.slice(1), [{
    method: "PUT",
    url: SUBSCRIPTIONS,
    auth: "Bearer jwt-ada",
    body: {
      endpoint: "https://push.example/1",
      expirationTime: null,
      keys: {
        p256dh: "p-https://push.example/1",
        auth: "a-https://push.example/1",
      },
      label: "Laptop",
    },
  }]);
  assert.deepEqual(await device.state(), "on");
});

Deno.test("enable() refuses without the permission and records nothing", async () => {
  const browser = fakeBrowser({ answer: "denied" });
  const device = browser.device();
  await assert.rejects(device.enable(), /not allowed \(denied\)/);
  assert.deepEqual(browser.calls, []);
  assert.deepEqual(browser.registered, []);
  assert.deepEqual(await device.state(), "denied");
});

Deno.test("refresh() repeats the PUT for a device this user enabled, with oldEndpoint after a rotation", async () => {
  const browser = fakeBrowser();
  await browser.device().enable({ label: "Phone" });
  browser.calls.length = 0;

  // The next page load: the same subscription again ("last seen").
  await browser.device().refresh();
  assert.deepEqual(browser.calls.map((c) => [c.method, c.body]), [[
    "PUT",
    {
      endpoint: "https://push.example/1",
      expirationTime: null,
      keys: {
        p256dh: "p-https://push.example/1",
        auth: "a-https://push.example/1",
      },
      label: "Phone",
    },
  ]]);

  // The browser rotated it while no page was open.
  browser.rotate();
  await browser.device().refresh();
  const rotated = browser.calls[1]?.body;
  assert.ok(typeof rotated === "object" && rotated !== null);
  assert.deepEqual(
    Object.entries(rotated).filter(([k]) => k !== "keys"),
    [
      ["endpoint", "https://push.example/2"],
      ["expirationTime", null],
      ["label", "Phone"],
      ["oldEndpoint", "https://push.example/1"],
    ],
  );

  // Another user on the same browser does not take the device over.
  browser.calls.length = 0;
  await browser.device("bob").refresh();
  assert.deepEqual(browser.calls, []);
});

Deno.test("the worker's rotation message is sent to Herald as a PUT with oldEndpoint", async () => {
  const browser = fakeBrowser();
  await browser.device().enable();
  browser.calls.length = 0;
  browser.post({
    type: "herald:push-subscription-change",
    oldEndpoint: "https://push.example/1",
    subscription: {
      endpoint: "https://push.example/9",
      expirationTime: null,
      keys: { p256dh: "P9", auth: "A9" },
    },
  });
  browser.post({ type: "something else" });
  // The PUT is made in the background: wait for the fact.
  await eventually(
    "the rotation's PUT",
    () => Promise.resolve(browser.calls.length > 0 ? true : null),
  );
  assert.deepEqual(browser.calls.map((c) => [c.method, c.body]), [[
    "PUT",
    {
      endpoint: "https://push.example/9",
      expirationTime: null,
      keys: { p256dh: "P9", auth: "A9" },
      oldEndpoint: "https://push.example/1",
    },
  ]]);
});

Deno.test("disable() deletes the device at Herald and unsubscribes the browser", async () => {
  const browser = fakeBrowser();
  const device = browser.device();
  await device.enable();
  browser.calls.length = 0;
  await device.disable();
  assert.deepEqual(browser.calls.map((c) => [c.method, c.url, c.auth]), [[
    "DELETE",
    `${SUBSCRIPTIONS}?endpoint=${encodeURIComponent("https://push.example/1")}`,
    "Bearer jwt-ada",
  ]]);
  assert.deepEqual(await device.state(), "off");
  assert.deepEqual(browser.items.size, 0);
});
