import assert from "node:assert/strict";
import { z } from "zod";
import { errorBody, preferencesView, read } from "../support/bodies.ts";
import { eventually } from "@herald/testing";
import { expectScheduled, userJobs } from "../support/placement.ts";
import {
  driftBody,
  operationBody,
  type OperationView,
  operationView,
} from "../support/scheduler_bodies.ts";
import { integrationSuite } from "../support/suite.ts";

const suite = integrationSuite("the operator's catalogue of types", {
  placements: ["slots", "per-user"],
});
const { test } = suite;

let n = 0;
const newType = () => `t${++n}x${suite.placement === "slots" ? "s" : "u"}`;
const newUser = (prefix = "ty") => `${prefix}-${++n}`;
/** Each call a local time nobody else in the suite has (a slot of its own). */
const lonelyTime = () => `04:${String(++n % 60).padStart(2, "0")}`;

const typeView = z.object({
  id: z.string(),
  label: z.string(),
  description: z.string(),
  enabled: z.boolean(),
  times: z.array(z.string()),
  days: z.array(z.string()),
  template: z.object({ title: z.string(), body: z.string() }),
  severity: z.string(),
  webhook: z.string().nullable(),
  critical: z.boolean(),
  version: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
const changed = z.object({
  type: typeView,
  operation: operationView.nullable(),
});

function send(method: string, path: string, body?: unknown) {
  return suite.stack.admin(path, {
    method,
    ...(body === undefined ? {} : {
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    }),
  });
}

async function expectStatus(res: Response, status: number) {
  assert.equal(res.status, status, await res.clone().text());
  return res;
}

/** A type's change, then the walk it started run to its end. */
async function changeType(
  method: string,
  path: string,
  body: unknown,
  status = 200,
) {
  const res = await expectStatus(await send(method, path, body), status);
  const result = await read(res, changed);
  return {
    ...result,
    walked: result.operation ? await finished(result.operation) : null,
  };
}

/** Waits for an operation to finish (continuations arrive through QStash). */
async function finished(op: OperationView): Promise<OperationView> {
  return await eventually(`operation ${op.id} to finish`, async () => {
    const res = await suite.stack.admin(`/v1/scheduler/operations/${op.id}`);
    const { operation } = await read(res, operationBody);
    return operation.status === "done" ? operation : null;
  });
}

async function makeType(fields: Record<string, unknown> = {}) {
  const id = newType();
  const { type } = await changeType("POST", "/v1/types", {
    id,
    label: `Type ${id}`,
    times: [lonelyTime()],
    template: { title: "Hello {{userId}}" },
    ...fields,
  }, 201);
  return type;
}

async function patchUser(userId: string, patch: unknown) {
  const res = await send("PATCH", `/v1/users/${userId}/preferences`, patch);
  await expectStatus(res, 200);
  await res.body?.cancel();
}

async function preferencesOf(userId: string) {
  return await read(
    await suite.stack.admin(`/v1/users/${userId}/preferences`),
    preferencesView,
  );
}

async function jobIdsOf(userId: string, type: string): Promise<string[]> {
  return [...(await userJobs(suite.stack, userId)).values()]
    .filter((job) => job.type === type).map((job) => job.id).sort();
}

test("a fresh stack starts with the demo catalogue, today's four types", async () => {
  const res = await expectStatus(await suite.stack.admin("/v1/types"), 200);
  const { types } = await read(res, z.object({ types: z.array(typeView) }));
  assert.deepEqual(types.slice(0, 4).map((t) => [t.id, t.version]), [
    ["morningDigest", 1],
    ["taskReminder", 1],
    ["eveningSummary", 1],
    ["weeklyReport", 1],
  ]);
  const digest = types[0];
  assert.deepEqual(digest?.template, {
    title: "Good morning",
    body: "Your digest for {{localDate}}",
  });
});

test("a type is made, read, replaced, changed and deleted, its version growing", async () => {
  const id = newType();
  const made = await changeType("POST", "/v1/types", {
    id,
    label: "Daily verse",
    enabled: false,
    times: ["06:00"],
    template: { title: "Today's verse", body: "{{data.verse}}" },
  }, 201);
  assert.equal(made.type.version, 1);
  assert.equal(made.type.severity, "medium");
  const again = await send("POST", "/v1/types", {
    id,
    label: "Twice",
    times: ["06:00"],
    template: { title: "x" },
  });
  await expectStatus(again, 409);
  assert.equal((await read(again, errorBody)).error.code, "conflict");

  const one = await read(
    await expectStatus(await suite.stack.admin(`/v1/types/${id}`), 200),
    z.object({ type: typeView }),
  );
  assert.deepEqual(one.type, made.type);

  const replaced = await changeType("PUT", `/v1/types/${id}`, {
    label: "Daily verse",
    enabled: false,
    times: ["06:00"],
    template: { title: "Verse of the day" },
    severity: "low",
  });
  assert.equal(replaced.type.version, 2);
  assert.equal(replaced.type.template.title, "Verse of the day");
  assert.equal(replaced.operation, null, "a new title moves nobody");

  const patched = await changeType("PATCH", `/v1/types/${id}`, {
    description: "A verse, every morning",
  });
  assert.equal(patched.type.version, 3);
  assert.equal(patched.type.severity, "low", "what a patch leaves stays");

  const gone = await expectStatus(await send("DELETE", `/v1/types/${id}`), 200);
  await gone.body?.cancel();
  await expectStatus(await suite.stack.admin(`/v1/types/${id}`), 404);
  await expectStatus(await send("DELETE", `/v1/types/${id}`), 404);

  const fresh = newType();
  const put = await changeType("PUT", `/v1/types/${fresh}`, {
    label: "Made by PUT",
    enabled: false,
    times: ["05:00"],
    template: { title: "x" },
  }, 201);
  assert.equal(put.type.id, fresh);
});

const INVALID: [string, Record<string, unknown>, string][] = [
  ["an id with a dash", { id: "daily-verse" }, "id"],
  ["a time that is not one", { times: ["25:00"] }, "times[0]"],
  ["no times", { times: [] }, "times"],
  ["an unknown day", { days: ["someday"] }, "days[0]"],
  ["a placeholder nothing fills", {
    template: { title: "Hi {{firstName}}" },
  }, "template.title"],
  [
    "a critical type that is off",
    { critical: true, enabled: false },
    "enabled",
  ],
  ["a webhook that is not a URL", { webhook: "later" }, "webhook"],
  ["an unknown field", { sound: "ping" }, ""],
];

for (const [what, fields, path] of INVALID) {
  test(`a type with ${what} is refused with 400 naming "${path}", and nothing is saved`, async () => {
    const id = newType();
    const res = await send("POST", "/v1/types", {
      id,
      label: "Bad",
      times: ["06:00"],
      template: { title: "x" },
      ...fields,
    });
    await expectStatus(res, 400);
    const { error } = await read(res, errorBody);
    assert.equal(error.code, "validation_failed");
    assert.equal(error.fields?.[0]?.path, path, error.message);
    await expectStatus(await suite.stack.admin(`/v1/types/${id}`), 404);
  });
}

test("a type's id cannot be changed, and its body must be JSON", async () => {
  const type = await makeType({ enabled: false });
  const renamed = await send("PATCH", `/v1/types/${type.id}`, { id: "other" });
  await expectStatus(renamed, 400);
  assert.match((await read(renamed, errorBody)).error.message, /"id"/);
  const text = await suite.stack.admin(`/v1/types/${type.id}`, {
    method: "PATCH",
    body: JSON.stringify({ label: "x" }),
  });
  await expectStatus(text, 415);
  await text.body?.cancel();
  const after = await read(
    await suite.stack.admin(`/v1/types/${type.id}`),
    z.object({ type: typeView }),
  );
  assert.equal(after.type.version, 1);
});

test("only the admin key reaches the catalogue", async () => {
  const user = await fetch(`${suite.stack.url}/v1/types`, {
    headers: {
      authorization: `Bearer ${await suite.stack.userToken("ada")}`,
    },
  });
  await expectStatus(user, 403);
  await user.body?.cancel();
  const none = await fetch(`${suite.stack.url}/v1/types`);
  await expectStatus(none, 401);
  await none.body?.cancel();
});

test("preferences are checked against the live catalogue: a type is usable once made, refused once deleted", async () => {
  const user = newUser();
  const id = newType();
  const early = await send("PATCH", `/v1/users/${user}/preferences`, {
    types: { [id]: { enabled: true } },
  });
  await expectStatus(early, 400);
  assert.equal(
    (await read(early, errorBody)).error.fields?.[0]?.path,
    `types.${id}`,
  );
  await changeType("POST", "/v1/types", {
    id,
    label: "Brand new",
    enabled: false,
    times: [lonelyTime()],
    template: { title: "New" },
  }, 201);
  await patchUser(user, { types: { [id]: { enabled: true } } });
  assert.equal((await jobIdsOf(user, id)).length, 1);
  await expectScheduled(suite.stack, suite.placement, user);

  await (await expectStatus(await send("DELETE", `/v1/types/${id}`), 200))
    .body?.cancel();
  const late = await send("PATCH", `/v1/users/${user}/preferences`, {
    types: { [id]: { enabled: false } },
  });
  await expectStatus(late, 400);
  await late.body?.cancel();
});

test("a user who never saved sees the catalogue's defaults, unsaved and unscheduled", async () => {
  const type = await makeType();
  const view = await preferencesOf(newUser("never"));
  assert.equal(view.version, 0);
  assert.equal(view.sync.status, "unsaved");
  assert.deepEqual(view.preferences.types[type.id], {
    enabled: true,
    times: type.times,
    days: type.days,
    channels: { push: false },
  });
});

test("changing a type's default times moves those who follow them, page by page, and nobody who chose their own", async () => {
  const type = await makeType();
  const follower = newUser("follows");
  const ownTimes = newUser("owntimes");
  const ownOff = newUser("ownoff");
  const ownDays = newUser("owndays");
  await patchUser(follower, { timezone: "Europe/Paris" });
  await patchUser(ownTimes, { types: { [type.id]: { times: ["07:15"] } } });
  await patchUser(ownOff, { types: { [type.id]: { enabled: false } } });
  await patchUser(ownDays, { types: { [type.id]: { days: ["sat"] } } });
  const before = new Map<string, { version: number; jobs: string[] }>();
  for (const user of [follower, ownTimes, ownOff, ownDays]) {
    before.set(user, {
      version: (await preferencesOf(user)).version,
      jobs: await jobIdsOf(user, type.id),
    });
  }

  const later = lonelyTime();
  const { walked, operation } = await changeType(
    "PATCH",
    `/v1/types/${type.id}?pageSize=1&pagesPerCall=1`,
    { times: [later] },
  );
  assert.equal(operation?.kind, "retype");
  assert.equal(operation?.continuing, true, "the rest went through QStash");
  assert.ok(walked && walked.progress.pages >= 2);

  for (const user of [follower, ownDays]) {
    const view = await expectScheduled(suite.stack, suite.placement, user);
    assert.equal(view.version, (before.get(user)?.version ?? 0) + 1, user);
    assert.deepEqual(view.preferences.types[type.id]?.times, [later]);
    assert.equal(view.sync.status, "synced");
  }
  for (const user of [ownTimes, ownOff]) {
    const view = await expectScheduled(suite.stack, suite.placement, user);
    assert.equal(view.version, before.get(user)?.version, `${user} untouched`);
    assert.deepEqual(await jobIdsOf(user, type.id), before.get(user)?.jobs);
  }
  const drift = await read(
    await suite.stack.admin(`/v1/scheduler/drift?userId=${follower}`),
    driftBody,
  );
  assert.equal(drift.summary.missing + drift.summary.different, 0);
});

test("a PUT that switches a type on without times gives it the type's default times, and the user follows them when the operator moves them", async () => {
  const type = await makeType({ enabled: false });
  const user = newUser("putdefault");
  const res = await send("PUT", `/v1/users/${user}/preferences`, {
    enabled: true,
    timezone: "Europe/Paris",
    types: { [type.id]: { enabled: true } },
  });
  await expectStatus(res, 200);
  await res.body?.cancel();
  const saved = await expectScheduled(suite.stack, suite.placement, user);
  assert.deepEqual(saved.preferences.types[type.id], {
    enabled: true,
    times: type.times,
    days: type.days,
    channels: { push: false },
  });
  const jobsBefore = await jobIdsOf(user, type.id);
  assert.equal(jobsBefore.length, 1);

  const later = lonelyTime();
  await changeType("PATCH", `/v1/types/${type.id}`, { times: [later] });
  const moved = await expectScheduled(suite.stack, suite.placement, user);
  assert.equal(moved.version, saved.version + 1);
  assert.deepEqual(moved.preferences.types[type.id]?.times, [later]);
  assert.equal(moved.sync.status, "synced");
  const jobsAfter = await jobIdsOf(user, type.id);
  assert.equal(jobsAfter.length, 1);
  assert.notDeepEqual(jobsAfter, jobsBefore, "the old time's job is gone");
});

test("switching a type off by default removes it from those who follow the default, not from those who chose it", async () => {
  const type = await makeType();
  const follower = newUser("follows");
  const chose = newUser("chose");
  await patchUser(follower, { timezone: "Asia/Tokyo" });
  await patchUser(chose, { types: { [type.id]: { enabled: true } } });
  assert.equal((await jobIdsOf(follower, type.id)).length, 1);
  await changeType("PATCH", `/v1/types/${type.id}`, { enabled: false });
  assert.deepEqual(await jobIdsOf(follower, type.id), []);
  assert.equal((await jobIdsOf(chose, type.id)).length, 1);
  for (const user of [follower, chose]) {
    await expectScheduled(suite.stack, suite.placement, user);
  }
});

test("deleting a type removes its schedules from every member", async () => {
  const type = await makeType();
  const users = [newUser("del"), newUser("del"), newUser("del")];
  await patchUser(users[0]!, { timezone: "America/New_York" });
  await patchUser(users[1]!, { types: { [type.id]: { times: ["10:10"] } } });
  await patchUser(users[2]!, { enabled: false });
  const res = await expectStatus(
    await send("DELETE", `/v1/types/${type.id}?pageSize=1`),
    200,
  );
  const { operation } = await read(
    res,
    z.object({ deleted: z.string(), operation: operationView.nullable() }),
  );
  assert.ok(operation);
  await finished(operation);
  for (const user of users) {
    assert.deepEqual(await jobIdsOf(user, type.id), [], user);
    const view = await expectScheduled(suite.stack, suite.placement, user);
    assert.equal(view.preferences.types[type.id], undefined);
  }
});

test("a critical type reaches users who switched it off, or switched everything off, and cannot be switched off", async () => {
  const type = await makeType();
  const switchedOff = newUser("crit");
  const allOff = newUser("crit");
  await patchUser(switchedOff, { types: { [type.id]: { enabled: false } } });
  await patchUser(allOff, { enabled: false });
  assert.deepEqual(await jobIdsOf(switchedOff, type.id), []);
  await changeType("PATCH", `/v1/types/${type.id}`, { critical: true });
  for (const user of [switchedOff, allOff]) {
    assert.equal((await jobIdsOf(user, type.id)).length, 1, user);
    await expectScheduled(suite.stack, suite.placement, user);
  }
  const refused = await send("PATCH", `/v1/users/${allOff}/preferences`, {
    types: { [type.id]: { enabled: false } },
  });
  await expectStatus(refused, 400);
  assert.match((await read(refused, errorBody)).error.message, /critical/);
});

test("a walk QStash cannot finish stays saved and is finished by the cron trigger", async () => {
  const type = await makeType();
  const user = newUser("outage");
  await patchUser(user, { timezone: "UTC" });
  await suite.stack.standIns.faults.qstash.down();
  let result;
  try {
    const res = await send("PATCH", `/v1/types/${type.id}`, {
      times: [lonelyTime()],
    });
    await expectStatus(res, 200);
    result = await read(res, changed);
  } finally {
    await suite.stack.standIns.faults.qstash.up();
  }
  assert.equal(result.operation?.status, "failed");
  assert.equal(result.type.version, 2, "the change itself stands");
  assert.equal((await preferencesOf(user)).sync.status, "pending");
  await suite.stack.runCron();
  const done = await finished(result.operation);
  assert.equal(done.status, "done");
  const view = await expectScheduled(suite.stack, suite.placement, user);
  assert.equal(view.sync.status, "synced");
});

test("a fan-out job names a catalogue type, and that type cannot be deleted under it", async () => {
  const type = await makeType({ enabled: false });
  const job = `fan-${type.id}`;
  const put = await send("PUT", `/v1/scheduler/jobs/${job}`, {
    name: "Fan-out",
    trigger: { type: "interval", every: "1d" },
    target: { builtin: "fanout", type: type.id },
  });
  await expectStatus(put, 201);
  await put.body?.cancel();
  const refused = await send("DELETE", `/v1/types/${type.id}`);
  await expectStatus(refused, 409);
  assert.match((await read(refused, errorBody)).error.message, new RegExp(job));
  await (await send("DELETE", `/v1/scheduler/jobs/${job}`)).body?.cancel();
  await (await expectStatus(await send("DELETE", `/v1/types/${type.id}`), 200))
    .body?.cancel();
});

suite.run();
