import assert from "node:assert/strict";
import {
  beyondHorizon,
  DELIVER_AT_HORIZON_MS,
  parseDeliverAt,
  planDelivery,
  sendStatus,
} from "../../src/domain/delivery/deliver_at.ts";

const iso = (t: number) => new Date(t).toISOString();
const local = { kind: "local", date: "2026-12-08", time: "09:00" } as const;
const zones = [
  { userId: "paris", timeZone: "Europe/Paris" },
  { userId: "ny", timeZone: "America/New_York" },
  { userId: "ktm", timeZone: "Asia/Kathmandu" },
  { userId: "chatham", timeZone: "Pacific/Chatham" },
];

Deno.test("parseDeliverAt() tells a local time from an instant", () => {
  assert.deepEqual(parseDeliverAt("2026-12-08T09:00"), local);
  assert.deepEqual(parseDeliverAt("2026-12-08T09:00Z"), {
    kind: "instant",
    at: Date.parse("2026-12-08T09:00:00Z"),
  });
  assert.deepEqual(parseDeliverAt("2026-12-08T09:00:30.5+05:45"), {
    kind: "instant",
    at: Date.parse("2026-12-08T03:15:30.500Z"),
  });
  for (
    const bad of [
      "2026-02-30T09:00",
      "2026-02-30T09:00Z",
      "2026-12-08T24:00",
      "2026-12-08 09:00",
      "2026-12-08",
      "tomorrow",
      "2026-12-08T09:00:00",
    ]
  ) assert.equal(parseDeliverAt(bad), null, bad);
});

Deno.test("planDelivery() puts each recipient at 09:00 in their own zone, one instant per zone offset", () => {
  const now = Date.parse("2026-12-07T00:00:00Z");
  const plan = planDelivery({
    deliverAt: local,
    ifPast: "now",
    recipients: [...zones, { userId: "berlin", timeZone: "Europe/Berlin" }],
    now,
  });
  assert.deepEqual(
    plan.instants.map((i) => [iso(i.at), i.recipients]),
    [
      // Chatham is UTC+13:45 in December, Kathmandu +05:45.
      ["2026-12-07T19:15:00.000Z", ["chatham"]],
      ["2026-12-08T03:15:00.000Z", ["ktm"]],
      ["2026-12-08T08:00:00.000Z", ["paris", "berlin"]],
      ["2026-12-08T14:00:00.000Z", ["ny"]],
    ],
  );
  assert.deepEqual(plan.skipped, []);
});

Deno.test("planDelivery() follows ifPast for a recipient whose local time has passed", () => {
  // 06:00Z on the 8th: 09:00 has passed in Chatham and Kathmandu only.
  const now = Date.parse("2026-12-08T06:00:00Z");
  const plan = (ifPast: "now" | "skip" | "nextDay") =>
    planDelivery({ deliverAt: local, ifPast, recipients: zones, now })
      .instants.map((i) => [iso(i.at), i.recipients]);
  assert.deepEqual(plan("now"), [
    [iso(now), ["ktm", "chatham"]],
    ["2026-12-08T08:00:00.000Z", ["paris"]],
    ["2026-12-08T14:00:00.000Z", ["ny"]],
  ]);
  assert.deepEqual(plan("skip"), [
    ["2026-12-08T08:00:00.000Z", ["paris"]],
    ["2026-12-08T14:00:00.000Z", ["ny"]],
  ]);
  assert.deepEqual(
    planDelivery({ deliverAt: local, ifPast: "skip", recipients: zones, now })
      .skipped,
    ["ktm", "chatham"],
  );
  assert.deepEqual(
    plan("nextDay"),
    [
      ["2026-12-08T19:15:00.000Z", ["chatham"]],
      ["2026-12-08T08:00:00.000Z", ["paris"]],
      ["2026-12-08T14:00:00.000Z", ["ny"]],
      ["2026-12-09T03:15:00.000Z", ["ktm"]],
    ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
  );
});

Deno.test("planDelivery() with nextDay for a date long past is the next time that comes round", () => {
  const now = Date.parse("2026-12-20T12:00:00Z");
  const [only] = planDelivery({
    deliverAt: local,
    ifPast: "nextDay",
    recipients: [{ userId: "paris", timeZone: "Europe/Paris" }],
    now,
  }).instants;
  assert.equal(iso(only?.at ?? 0), "2026-12-21T08:00:00.000Z");
});

Deno.test("planDelivery() maps a time inside a DST gap where the gap moves it, a repeated time to its first instant", () => {
  const now = Date.parse("2026-03-01T00:00:00Z");
  const ny = [{ userId: "ny", timeZone: "America/New_York" }];
  const [gap] = planDelivery({
    deliverAt: { kind: "local", date: "2026-03-08", time: "02:30" },
    ifPast: "now",
    recipients: ny,
    now,
  }).instants;
  // 03:30 EDT.
  assert.equal(iso(gap?.at ?? 0), "2026-03-08T07:30:00.000Z");
  const [repeat] = planDelivery({
    deliverAt: { kind: "local", date: "2026-11-01", time: "01:30" },
    ifPast: "now",
    recipients: ny,
    now,
  }).instants;
  // The first 01:30, still EDT.
  assert.equal(iso(repeat?.at ?? 0), "2026-11-01T05:30:00.000Z");
});

Deno.test("planDelivery() with an instant is one group for everybody", () => {
  const now = Date.parse("2026-12-07T00:00:00Z");
  const at = Date.parse("2026-12-08T09:00:00Z");
  const plan = planDelivery({
    deliverAt: { kind: "instant", at },
    ifPast: "now",
    recipients: zones,
    now,
  });
  assert.deepEqual(plan.instants, [{
    at,
    recipients: ["paris", "ny", "ktm", "chatham"],
  }]);
  const late = planDelivery({
    deliverAt: { kind: "instant", at: now - 3_600_000 },
    ifPast: "nextDay",
    recipients: zones.slice(0, 1),
    now,
  });
  assert.equal(late.instants[0]?.at, now - 3_600_000 + 86_400_000);
});

Deno.test("beyondHorizon() names an instant more than a year ahead", () => {
  const now = Date.parse("2026-12-07T00:00:00Z");
  const plan = (at: number) => ({ instants: [{ at, recipients: ["a"] }] });
  assert.equal(beyondHorizon(plan(now + DELIVER_AT_HORIZON_MS), now), null);
  assert.equal(
    beyondHorizon(plan(now + DELIVER_AT_HORIZON_MS + 1), now),
    now + DELIVER_AT_HORIZON_MS + 1,
  );
  assert.equal(beyondHorizon({ instants: [] }, now), null);
});

Deno.test("sendStatus() reads a send from its instants", () => {
  assert.equal(sendStatus(["pending", "pending"]), "scheduled");
  assert.equal(sendStatus(["sent", "pending"]), "delivering");
  assert.equal(sendStatus(["sent", "sent"]), "delivered");
  assert.equal(sendStatus(["sent", "cancelled"]), "cancelled");
});
