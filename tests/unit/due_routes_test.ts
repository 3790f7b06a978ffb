import assert from "node:assert/strict";
import {
  type DueOccurrence,
  routeDues,
} from "../../src/domain/delivery/due_occurrence.ts";
import { effectivePreferences } from "../../src/domain/preferences/preference_overrides.ts";
import type { QuietHours } from "../../src/domain/preferences/preferences.ts";
import { occurrenceKey } from "../../src/domain/schedules/occurrence.ts";
import {
  catalogueOf,
  type NotificationType,
} from "../../src/domain/catalogue/catalogue.ts";

const TYPE: NotificationType = {
  id: "digest",
  label: "Digest",
  description: "",
  enabled: true,
  times: ["09:30"],
  days: ["mon"],
  template: { title: "t", body: "b" },
  severity: "medium",
  webhook: null,
  critical: false,
  channels: { push: "off" },
  digest: null,
};
const CATALOGUE = catalogueOf([TYPE]);
const NIGHT: QuietHours = { start: "22:00", end: "07:00" };

const due = (
  userId: string,
  localTime: string,
  more: { quietHours?: QuietHours; deferrable?: boolean } = {},
): DueOccurrence => ({
  occurrence: { userId, type: TYPE.id, localDate: "2026-01-05", localTime },
  prefs: {
    ...effectivePreferences({ timezone: "UTC" }, CATALOGUE),
    quietHours: more.quietHours ?? null,
  },
  type: TYPE,
  weekday: "mon",
  deferrable: more.deferrable ?? true,
});

Deno.test("routeDues() sends a stored one to the repeats, a quiet one to the deferrals and the rest to fresh, each with its place", () => {
  const dues = [
    due("ada", "09:30"),
    due("bob", "23:00", { quietHours: NIGHT }),
    due("cy", "09:30", { quietHours: NIGHT }),
  ];
  const stored = new Map([[occurrenceKey(dues[0]!.occurrence), "ntf_1"]]);
  const routes = routeDues(dues, stored);
  assert.deepEqual(routes.repeats, [{ at: 0, due: dues[0], stored: "ntf_1" }]);
  assert.deepEqual(routes.deferrals, [
    { at: 1, due: dues[1], quietHours: NIGHT },
  ]);
  assert.deepEqual(routes.fresh, [{ at: 2, due: dues[2] }]);
});

Deno.test("routeDues() delivers one already deferred once, even inside quiet hours", () => {
  const back = due("ada", "23:00", { quietHours: NIGHT, deferrable: false });
  const routes = routeDues([back], new Map());
  assert.deepEqual(routes.fresh, [{ at: 0, due: back }]);
  assert.deepEqual(routes.deferrals, []);
});

Deno.test("routeDues() never defers a repeat: it is known by its key first", () => {
  const quiet = due("ada", "23:00", { quietHours: NIGHT });
  const routes = routeDues(
    [quiet],
    new Map([[occurrenceKey(quiet.occurrence), "ntf_1"]]),
  );
  assert.equal(routes.repeats.length, 1);
  assert.deepEqual(routes.deferrals, []);
});

Deno.test("routeDues() keeps the order given within each route", () => {
  const dues = ["c", "a", "b"].map((u) => due(u, "09:30"));
  assert.deepEqual(
    routeDues(dues, new Map()).fresh.map((f) => f.due.occurrence.userId),
    ["c", "a", "b"],
  );
});
