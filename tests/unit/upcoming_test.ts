import assert from "node:assert/strict";
import type { Preferences } from "../../src/domain/preferences/preferences.ts";
import {
  mergeUpcoming,
  pushChosen,
  upcomingOccurrences,
  upcomingSends,
} from "../../src/domain/schedules/upcoming.ts";
import { nextOccurrence } from "../../src/domain/schedules/slot_plan.ts";

const at = (iso: string) => Date.parse(iso);
const ALL = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;

const prefs: Preferences = {
  enabled: true,
  timezone: "America/New_York",
  quietHours: null,
  channels: { push: true },
  types: {
    digest: {
      enabled: true,
      times: ["08:00"],
      days: [...ALL],
      channels: { push: false },
    },
    alert: {
      enabled: false,
      times: ["09:00"],
      days: [...ALL],
      channels: { push: true },
    },
  },
};

Deno.test("upcomingOccurrences() lists each day's time in the window, soonest first", () => {
  const items = upcomingOccurrences(prefs, {
    from: at("2027-01-04T12:00:00Z"),
    until: at("2027-01-06T12:00:00Z"),
    critical: new Set(),
  });
  // 08:00 EST is 13:00Z: an hour after the window opens, so that day too.
  assert.deepEqual(items.map((i) => [i.type, i.localDate, i.at]), [
    ["digest", "2027-01-04", at("2027-01-04T13:00:00Z")],
    ["digest", "2027-01-05", at("2027-01-05T13:00:00Z")],
  ]);
});

Deno.test("upcomingOccurrences() keeps a critical type the user switched off, and drops the rest", () => {
  const off = { ...prefs, enabled: false };
  const window = {
    from: at("2027-01-04T12:00:00Z"),
    until: at("2027-01-05T12:00:00Z"),
  };
  assert.deepEqual(
    upcomingOccurrences(off, { ...window, critical: new Set() }),
    [],
  );
  const items = upcomingOccurrences(off, {
    ...window,
    critical: new Set(["alert"]),
  });
  assert.deepEqual(items.map((i) => [i.type, i.localTime]), [[
    "alert",
    "09:00",
  ]]);
});

Deno.test("upcomingOccurrences() defers a time in quiet hours to their end, and says so", () => {
  const quiet = { ...prefs, quietHours: { start: "22:00", end: "08:30" } };
  const [item] = upcomingOccurrences(quiet, {
    from: at("2027-01-04T14:00:00Z"),
    until: at("2027-01-05T14:00:00Z"),
    critical: new Set(),
  });
  assert.equal(item?.localTime, "08:00");
  assert.equal(item?.deferredBy, "quietHours");
  assert.equal(item?.at, at("2027-01-05T13:30:00Z"));
});

Deno.test("pushChosen() follows the type's choice and the user's overall switch, which a critical type ignores", () => {
  const none = new Set<string>();
  assert.equal(pushChosen(prefs, "digest", none), false);
  assert.equal(pushChosen(prefs, "alert", none), true);
  const allOff = { ...prefs, channels: { push: false } };
  assert.equal(pushChosen(allOff, "alert", none), false);
  assert.equal(pushChosen(allOff, "alert", new Set(["alert"])), true);
});

Deno.test("upcomingOccurrences() finds what nextOccurrence() finds, one after another, across both DST changes", () => {
  const days = ["mon", "wed", "sun"] as const;
  const month = {
    ...prefs,
    types: {
      digest: {
        enabled: true,
        times: ["01:30", "02:30", "23:59"],
        days: [...days],
        channels: { push: false },
      },
    },
  };
  for (const from of [at("2027-03-01T05:00:00Z"), at("2027-10-20T05:00:00Z")]) {
    const until = from + 31 * 86_400_000;
    const want: [string, number][] = [];
    for (const time of month.types.digest.times) {
      let next = nextOccurrence(from, time, month.timezone, days);
      while (next !== null && next <= until) {
        want.push([time, next]);
        next = nextOccurrence(next, time, month.timezone, days);
      }
    }
    const got = upcomingOccurrences(month, { from, until, critical: new Set() })
      .map((i): [string, number] => [i.localTime, i.at]);
    const order = (a: [string, number], b: [string, number]) =>
      a[1] - b[1] || a[0].localeCompare(b[0]);
    assert.deepEqual(got, want.sort(order));
  }
});

Deno.test("upcomingSends() drops a switched-off type, lists one in quiet hours at their end, and names each instant locally", () => {
  const quiet = { ...prefs, quietHours: { start: "22:00", end: "07:00" } };
  const sends = [
    // 09:00 EST: delivered as sent.
    {
      sendId: "sch_a",
      type: "digest",
      at: at("2027-01-05T14:00:00Z"),
      quiet: true,
    },
    // Switched off: absent.
    {
      sendId: "sch_b",
      type: "alert",
      at: at("2027-01-05T14:00:00Z"),
      quiet: true,
    },
    // 23:00 EST, inside quiet hours: at 07:00 EST the next day.
    {
      sendId: "sch_c",
      type: "digest",
      at: at("2027-01-06T04:00:00Z"),
      quiet: true,
    },
    // Deferred once already: not again.
    {
      sendId: "sch_d",
      type: "digest",
      at: at("2027-01-06T05:00:00Z"),
      quiet: false,
    },
  ];
  const items = upcomingSends(quiet, sends, {
    timezone: quiet.timezone,
    critical: new Set(),
    typePush: () => true,
  });
  assert.deepEqual(
    items.map((
      i,
    ) => [i.scheduledId, i.localDate, i.localTime, i.at, i.deferredBy]),
    [
      ["sch_a", "2027-01-05", "09:00", at("2027-01-05T14:00:00Z"), null],
      ["sch_d", "2027-01-06", "00:00", at("2027-01-06T05:00:00Z"), null],
      [
        "sch_c",
        "2027-01-05",
        "23:00",
        at("2027-01-06T12:00:00Z"),
        "quietHours",
      ],
    ],
  );
  assert.ok(items.every((i) => i.channels.push === false), "digest: push off");
});

Deno.test("upcomingSends() for a user who never saved: delivered as sent, in the default zone, pushed by the type", () => {
  const items = upcomingSends(null, [
    {
      sendId: "sch_a",
      type: "alert",
      at: at("2027-01-05T14:00:00Z"),
      quiet: true,
    },
  ], {
    timezone: "Europe/Paris",
    critical: new Set(),
    typePush: (t) => t === "alert",
  });
  assert.deepEqual(
    items.map((i) => [i.localTime, i.timezone, i.channels.push]),
    [
      ["15:00", "Europe/Paris", true],
    ],
  );
});

Deno.test("mergeUpcoming() interleaves recurring occurrences and one-off sends by delivery", () => {
  const recurring = upcomingOccurrences(prefs, {
    from: at("2027-01-04T12:00:00Z"),
    until: at("2027-01-06T12:00:00Z"),
    critical: new Set(),
  });
  const oneOff = upcomingSends(prefs, [
    {
      sendId: "sch_a",
      type: "digest",
      at: at("2027-01-05T02:00:00Z"),
      quiet: true,
    },
  ], { timezone: prefs.timezone, critical: new Set(), typePush: () => false });
  assert.deepEqual(
    mergeUpcoming(recurring, oneOff).map((i) => [i.localDate, i.scheduledId]),
    [["2027-01-04", null], ["2027-01-04", "sch_a"], ["2027-01-05", null]],
  );
});
