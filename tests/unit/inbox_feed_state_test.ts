import assert from "node:assert/strict";
import {
  feedReducer,
  type FeedState,
  INITIAL_FEED,
  optimisticRead,
  upsertItems,
} from "../../src/client/inbox/feed_state.ts";
import {
  type InboxItem,
  parseItem,
  parsePage,
  parseUnread,
} from "../../src/client/inbox/inbox_item.ts";
import { relativeTime } from "../../src/client/inbox/relative_time.ts";
import { tokenSubject } from "../../src/client/inbox/inbox_api.ts";
import { pollDelay } from "../../src/client/inbox/live_feed.ts";

function item(id: string, minute: number, extra: Partial<InboxItem> = {}) {
  return {
    id,
    type: "t",
    title: `Title ${id}`,
    body: "",
    severity: "medium",
    data: null,
    createdAt: `2026-12-07T10:${String(minute).padStart(2, "0")}:00.000Z`,
    readAt: null,
    ...extra,
  };
}

const ids = (state: FeedState) => state.items.map((i) => i.id);

function loaded(items: InboxItem[], unread: number): FeedState {
  const s = feedReducer(INITIAL_FEED, {
    type: "page",
    page: { items, nextCursor: "c1" },
    first: true,
  });
  return feedReducer(s, { type: "count", unread });
}

Deno.test("feed items are newest first, one per id, whatever order they came in", () => {
  const items = upsertItems([item("a", 1), item("c", 3)], [
    item("b", 2),
    item("d", 3),
  ]);
  assert.deepEqual(items.map((i) => i.id), ["d", "c", "b", "a"]);
});

Deno.test("a notification with a known id replaces the item (a digest updating itself)", () => {
  const s = loaded([item("b", 2), item("a", 1)], 2);
  const next = feedReducer(s, {
    type: "notification",
    item: item("a", 1, { title: "Digest: 3 new" }),
  });
  assert.deepEqual(ids(next), ["b", "a"]);
  assert.deepEqual(next.items[1]?.title, "Digest: 3 new");
  const fresh = feedReducer(next, { type: "notification", item: item("z", 9) });
  assert.deepEqual(ids(fresh), ["z", "b", "a"]);
});

Deno.test("the first page replaces the list, the next ones append with their cursor", () => {
  const s = loaded([item("b", 2), item("a", 1)], 2);
  assert.deepEqual([s.loaded, s.loading, s.nextCursor], [true, false, "c1"]);
  const more = feedReducer(s, {
    type: "page",
    page: { items: [item("x", 0)], nextCursor: null },
    first: false,
  });
  assert.deepEqual(ids(more), ["b", "a", "x"]);
  assert.deepEqual(more.nextCursor, null);
  const again = feedReducer(more, {
    type: "page",
    page: { items: [item("c", 5)], nextCursor: "c9" },
    first: true,
  });
  assert.deepEqual(ids(again), ["c"]);
});

Deno.test("a failed load keeps the items and says why; loading clears the error", () => {
  const s = loaded([item("a", 1)], 1);
  const failed = feedReducer(feedReducer(s, { type: "loading" }), {
    type: "failed",
    message: "offline",
  });
  assert.deepEqual([failed.error, failed.loading, ids(failed)], [
    "offline",
    false,
    ["a"],
  ]);
  assert.deepEqual(feedReducer(failed, { type: "loading" }).error, null);
});

Deno.test("an optimistic read marks one item and lowers the count; its undo restores both", () => {
  const s = loaded([item("b", 2), item("a", 1)], 5);
  const at = "2026-12-07T11:00:00.000Z";
  const { apply, undo } = optimisticRead(s, ["a"], at);
  const read = feedReducer(s, apply);
  assert.deepEqual(read.items.map((i) => i.readAt), [null, at]);
  assert.deepEqual(read.unread, 4);
  // A count arrived meanwhile: the undo adjusts it rather than overwrite it.
  const counted = feedReducer(read, { type: "count", unread: 7 });
  const undone = feedReducer(counted, undo);
  assert.deepEqual(undone.items.map((i) => i.readAt), [null, null]);
  assert.deepEqual(undone.unread, 8);
});

Deno.test("reading an item already read changes nothing, and its undo neither", () => {
  const at = "2026-12-07T11:00:00.000Z";
  const s = loaded([item("a", 1, { readAt: at })], 3);
  const { apply, undo } = optimisticRead(s, ["a"], "2026-12-07T12:00:00.000Z");
  const read = feedReducer(s, apply);
  assert.deepEqual([read.unread, read.items[0]?.readAt], [3, at]);
  assert.deepEqual(feedReducer(read, undo), read);
});

Deno.test("mark all read sets the count to 0 (unloaded items too); the undo gives it back", () => {
  const s = loaded([item("b", 2), item("a", 1)], 9);
  const at = "2026-12-07T11:00:00.000Z";
  const { apply, undo } = optimisticRead(s, "all", at);
  const read = feedReducer(s, apply);
  assert.deepEqual(read.unread, 0);
  assert.ok(read.items.every((i) => i.readAt === at));
  const undone = feedReducer(read, undo);
  assert.deepEqual(undone.unread, 9);
  assert.ok(undone.items.every((i) => i.readAt === null));
});

Deno.test("the connection state includes polling", () => {
  const s = feedReducer(INITIAL_FEED, {
    type: "connection",
    connection: "polling",
  });
  assert.deepEqual(s.connection, "polling");
  assert.deepEqual(INITIAL_FEED.connection, "connecting");
});

Deno.test("parseItem() takes the API's inbox item and refuses what is not one", () => {
  const good = item("a", 1, { data: { k: 1 } });
  assert.deepEqual(parseItem(good), good);
  assert.deepEqual(parseItem({ ...good, body: undefined, severity: 3 }), {
    ...good,
    body: "",
    severity: "medium",
  });
  for (
    const bad of [
      null,
      [],
      "x",
      { ...good, id: "" },
      { ...good, id: 7 },
      { ...good, createdAt: "yesterday" },
      { ...good, readAt: 5 },
      { ...good, title: null },
    ]
  ) {
    assert.deepEqual(parseItem(bad), null, JSON.stringify(bad));
  }
  assert.deepEqual(
    parsePage({ items: [good, { id: 1 }], nextCursor: "" }),
    { items: [good], nextCursor: null },
  );
  assert.deepEqual(parsePage({ items: "no" }), null);
  assert.deepEqual(parseUnread({ unread: 2 }), 2);
  assert.deepEqual(parseUnread({ unread: -1 }), null);
});

Deno.test("relativeTime() speaks the reader's language in the largest unit that fits", () => {
  const now = Date.parse("2026-12-07T12:00:00.000Z");
  const at = (seconds: number) => new Date(now - seconds * 1000).toISOString();
  assert.deepEqual(relativeTime(at(0), now, "en"), "now");
  assert.deepEqual(relativeTime(at(30), now, "en"), "30 seconds ago");
  assert.deepEqual(relativeTime(at(180), now, "en"), "3 minutes ago");
  assert.deepEqual(relativeTime(at(7200), now, "en"), "2 hours ago");
  assert.deepEqual(relativeTime(at(86_400), now, "en"), "yesterday");
  assert.deepEqual(relativeTime(at(14 * 86_400), now, "en"), "2 weeks ago");
  assert.deepEqual(relativeTime(at(180), now, "fr"), "il y a 3 minutes");
  assert.deepEqual(relativeTime(at(86_400), now, "de"), "gestern");
});

Deno.test("tokenSubject() reads a JWT's sub and nothing else", () => {
  const b64 = (v: unknown) =>
    btoa(JSON.stringify(v)).replace(/=+$/, "").replace(/\+/g, "-")
      .replace(/\//g, "_");
  assert.deepEqual(tokenSubject(`h.${b64({ sub: "ada" })}.s`), "ada");
  assert.deepEqual(tokenSubject(`h.${b64({ sub: "" })}.s`), null);
  assert.deepEqual(tokenSubject(`h.${b64({ id: "x" })}.s`), null);
  assert.deepEqual(tokenSubject("not-a-jwt"), null);
  assert.deepEqual(tokenSubject("h.%%%.s"), null);
});

Deno.test("pollDelay() grows to a 30-second ceiling and never comes back to back", () => {
  const low = [0, 1, 2, 3, 4, 5, 6, 10].map((a) =>
    pollDelay(a, undefined, () => 0)
  );
  assert.deepEqual(low, [500, 1000, 2000, 4000, 8000, 15_000, 15_000, 15_000]);
  const high = pollDelay(50, undefined, () => 1 - Number.EPSILON);
  assert.ok(high <= 30_000 && high >= 29_999, String(high));
});
