import assert from "node:assert/strict";
// @ts-types="@types/react"
import { createElement as h } from "react";
// @ts-types="@types/react-dom/server"
import { renderToString } from "react-dom/server";
import {
  HeraldInboxProvider,
  useHeraldInbox,
  useUnreadCount,
} from "../../src/client/react/herald_react.ts";

function View() {
  const inbox = useHeraldInbox();
  return h(
    "p",
    null,
    `${useUnreadCount()} unread, ${inbox.items.length} items, ${inbox.connection}`,
  );
}

Deno.test("the React binding renders on a server: no window at import or render, nothing fetched", () => {
  assert.equal(typeof Reflect.get(globalThis, "window"), "undefined");
  const fetched: string[] = [];
  const realFetch = globalThis.fetch;
  globalThis.fetch = (input) => {
    fetched.push(String(input));
    return Promise.reject(new Error("no fetch on the server"));
  };
  try {
    const html = renderToString(
      h(HeraldInboxProvider, { url: "https://h.example", token: "t" }, h(View)),
    );
    assert.equal(html, "<p>0 unread, 0 items, connecting</p>");
  } finally {
    globalThis.fetch = realFetch;
  }
  assert.deepEqual(fetched, []);
});

Deno.test("the hooks outside a provider show the empty inbox and do nothing", () => {
  const html = renderToString(h(View));
  assert.equal(html, "<p>0 unread, 0 items, connecting</p>");
});
