import assert from "node:assert/strict";
import { decodeBase64Url } from "../../src/domain/codecs/base64url.ts";
import type { DueOccurrence } from "../../src/domain/delivery/due_occurrence.ts";
import { effectivePreferences } from "../../src/domain/preferences/preference_overrides.ts";
import type { QuietHours } from "../../src/domain/preferences/preferences.ts";
import {
  occurrenceKey,
  quietHoursEnd,
} from "../../src/domain/schedules/occurrence.ts";
import {
  deferDues,
  deliverDue,
  deliverDueMany,
  finishRepeats,
  sendFresh,
} from "../../src/services/delivery/deliver_due.ts";
import { SchedulerError } from "../../src/ports/scheduler.ts";
import { findByIdempotencyKeys } from "../../src/store/notifications/notification_store.ts";
import {
  type ServiceDeps,
  type ServiceDepsOptions,
  startServiceDeps,
} from "../support/service_deps.ts";

// deliverDueMany(): due occurrences delivered each exactly once, over the
// in-memory scheduler port, a no-op unread cache and the in-process hub.

/** Monday 5 January 2026. */
const MONDAY = "2026-01-05";
const NIGHT: QuietHours = { start: "22:00", end: "07:00" };

async function withDeps(
  fn: (s: ServiceDeps) => Promise<void>,
  opts: ServiceDepsOptions = {},
) {
  const s = await startServiceDeps(opts);
  try {
    await fn(s);
  } finally {
    await s.close();
  }
}

async function due(
  s: ServiceDeps,
  userId: string,
  more: {
    localTime?: string;
    quietHours?: QuietHours;
    deferrable?: boolean;
    webhook?: string;
  } = {},
): Promise<DueOccurrence> {
  const catalogue = await s.ctx.catalogue();
  const type = catalogue.get("morningDigest");
  if (!type) throw new Error("the demo catalogue has morningDigest");
  return {
    occurrence: {
      userId,
      type: "morningDigest",
      localDate: MONDAY,
      localTime: more.localTime ?? "09:30",
    },
    prefs: {
      ...effectivePreferences({ timezone: "UTC" }, catalogue),
      quietHours: more.quietHours ?? null,
    },
    type: { ...type, webhook: more.webhook ?? null },
    weekday: "mon",
    deferrable: more.deferrable ?? true,
  };
}

async function stored(s: ServiceDeps, dues: readonly DueOccurrence[]) {
  return await findByIdempotencyKeys(
    s.ctx.db,
    dues.map((d) => occurrenceKey(d.occurrence)),
  );
}

Deno.test("deliverDueMany() stores each fresh occurrence once in its user's inbox and answers sent, in the order of the dues", async () => {
  await withDeps(async (s) => {
    const dues = [await due(s, "ada"), await due(s, "bob")];
    const outcomes = await deliverDueMany({ ctx: s.ctx, dues });
    const found = await stored(s, dues);
    assert.deepEqual(
      outcomes,
      dues.map((d) => ({
        status: "sent",
        notificationId: found.get(occurrenceKey(d.occurrence))?.id,
      })),
    );
    const ada = found.get(occurrenceKey(dues[0]!.occurrence));
    assert.deepEqual(ada?.audiences, ["user:ada"]);
    assert.equal(ada?.title, "Good morning");
    assert.equal(ada?.body, `Your digest for ${MONDAY}`);
    assert.equal(ada?.source, "schedule");
    assert.deepEqual(ada?.data, {
      occurrence: { localDate: MONDAY, localTime: "09:30", timezone: "UTC" },
    });
  });
});

Deno.test("deliverDueMany() answers a repeat duplicate with the stored id, and defers nothing and calls no webhook for it", async () => {
  const posts: string[] = [];
  await withDeps(async (s) => {
    const first = await due(s, "ada", { webhook: "https://host.example/c" });
    const [sent] = await deliverDueMany({ ctx: s.ctx, dues: [first] });
    assert.equal(posts.length, 1);
    const again = await due(s, "ada", {
      webhook: "https://host.example/c",
      quietHours: { start: "09:00", end: "10:00" },
    });
    const [repeat] = await deliverDueMany({ ctx: s.ctx, dues: [again] });
    assert.equal(sent?.status, "sent");
    assert.deepEqual(repeat, {
      status: "duplicate",
      notificationId: sent?.status === "sent" ? sent.notificationId : "",
    });
    assert.equal(posts.length, 1, "no second content webhook call");
    assert.equal(s.scheduler.messages.length, 0, "nothing deferred");
  }, {
    webhooks: {
      post: (url) => {
        posts.push(url);
        return Promise.resolve({});
      },
    },
  });
});

Deno.test("deliverDueMany() turns an occurrence inside quiet hours into a QStash message for their end, deduplicated by its key", async () => {
  await withDeps(async (s) => {
    const late = await due(s, "ada", { localTime: "23:00", quietHours: NIGHT });
    const [outcome] = await deliverDueMany({ ctx: s.ctx, dues: [late] });
    const until = quietHoursEnd(late.occurrence, NIGHT, "UTC");
    assert.deepEqual(outcome, {
      status: "deferred",
      until: new Date(until).toISOString(),
    });
    const [message] = s.scheduler.messages;
    assert.equal(message?.notBefore, until);
    assert.equal(message?.destination, s.ctx.config.callbackUrl);
    const dedup = message?.deduplicationId ?? "";
    assert.ok(dedup.startsWith("occ-"));
    assert.equal(
      decodeBase64Url(dedup.slice("occ-".length)),
      occurrenceKey(late.occurrence),
    );
    assert.equal((await stored(s, [late])).size, 0, "nothing stored yet");
  });
});

Deno.test("deliverDueMany() delivers an occurrence already deferred once, quiet hours or not", async () => {
  await withDeps(async (s) => {
    const back = await due(s, "ada", {
      localTime: "23:00",
      quietHours: NIGHT,
      deferrable: false,
    });
    const [outcome] = await deliverDueMany({ ctx: s.ctx, dues: [back] });
    assert.equal(outcome?.status, "sent");
    assert.equal(s.scheduler.messages.length, 0);
  });
});

Deno.test("deliverDueMany() fails only the occurrences whose deferral QStash refused; the others are delivered", async () => {
  await withDeps(async (s) => {
    s.scheduler.fail({ method: "publishBatch" });
    const dues = [
      await due(s, "ada", { localTime: "23:00", quietHours: NIGHT }),
      await due(s, "bob"),
    ];
    const [deferral, fresh] = await deliverDueMany({ ctx: s.ctx, dues });
    assert.equal(deferral?.status, "failed");
    assert.ok(
      deferral?.status === "failed" && deferral.error instanceof SchedulerError,
    );
    assert.equal(fresh?.status, "sent");
  });
});

Deno.test("deliverDueMany() defers in QStash batch calls of 100", async () => {
  await withDeps(async (s) => {
    const dues = await Promise.all(
      Array.from(
        { length: 150 },
        (_, i) => due(s, `u${i}`, { localTime: "23:00", quietHours: NIGHT }),
      ),
    );
    const outcomes = await deliverDueMany({ ctx: s.ctx, dues });
    assert.ok(outcomes.every((o) => o.status === "deferred"));
    assert.equal(s.scheduler.callsOf("publishBatch").length, 2);
    assert.equal(s.scheduler.messages.length, 150);
  });
});

Deno.test("deliverDueMany() fills the notification from the content webhook's reply, and from the templates when it fails", async () => {
  await withDeps(async (s) => {
    const dues = [
      await due(s, "ada", { webhook: "https://host.example/ok" }),
      await due(s, "bob", { webhook: "https://host.example/down" }),
    ];
    await deliverDueMany({ ctx: s.ctx, dues });
    const found = await stored(s, dues);
    const ada = found.get(occurrenceKey(dues[0]!.occurrence));
    const bob = found.get(occurrenceKey(dues[1]!.occurrence));
    assert.equal(ada?.title, "From the host");
    assert.deepEqual(ada?.data, {
      tasks: 3,
      occurrence: { localDate: MONDAY, localTime: "09:30", timezone: "UTC" },
    });
    assert.equal(bob?.title, "Good morning");
    assert.ok(
      s.logged.some((l) => l.event === "content.fallback"),
      "the fallback is logged",
    );
  }, {
    webhooks: {
      post: (url) =>
        url.endsWith("/ok")
          ? Promise.resolve({ title: "From the host", data: { tasks: 3 } })
          : Promise.reject(new Error("down")),
    },
  });
});

Deno.test("deliverDue() throws the error of a deferral QStash refused", async () => {
  await withDeps(async (s) => {
    s.scheduler.fail({ method: "publishBatch", status: 500 });
    const late = await due(s, "ada", { localTime: "23:00", quietHours: NIGHT });
    await assert.rejects(
      deliverDue({ ctx: s.ctx, due: late }),
      (error) => error instanceof SchedulerError && error.status === 500,
    );
  });
});

// The steps, each on its own.

Deno.test("deferDues() answers each deferral at its place; a batch call QStash refuses fails only the deferrals it carried", async () => {
  await withDeps(async (s) => {
    s.scheduler.fail({ method: "publishBatch", times: 1 });
    const deferrals = await Promise.all(
      Array.from({ length: 150 }, async (_, i) => ({
        at: 1000 + i,
        due: await due(s, `u${i}`, { localTime: "23:00", quietHours: NIGHT }),
        quietHours: NIGHT,
      })),
    );
    const answers = await deferDues({ ctx: s.ctx, deferrals });
    assert.deepEqual(
      answers.map((a) => a.at),
      deferrals.map((d) => d.at),
    );
    const failed = answers.filter((a) => a.outcome.status === "failed");
    assert.deepEqual(
      failed.map((a) => a.at),
      deferrals.slice(0, 100).map((d) => d.at),
    );
    assert.equal(s.scheduler.messages.length, 50, "the second call's");
  });
});

Deno.test("sendFresh() answers sent for what it stored, and duplicate for one stored first by another delivery", async () => {
  await withDeps(async (s) => {
    const ada = { at: 7, due: await due(s, "ada") };
    const [first] = await sendFresh({ ctx: s.ctx, fresh: [ada] });
    const [second] = await sendFresh({ ctx: s.ctx, fresh: [ada] });
    assert.equal(first?.at, 7);
    assert.equal(first?.outcome.status, "sent");
    const id = first?.outcome.status === "sent"
      ? first.outcome.notificationId
      : "";
    assert.deepEqual(second, {
      at: 7,
      outcome: { status: "duplicate", notificationId: id },
    });
  });
});

Deno.test("finishRepeats() answers each repeat with the notification stored for it", async () => {
  await withDeps(async (s) => {
    const ada = await due(s, "ada");
    await deliverDueMany({ ctx: s.ctx, dues: [ada] });
    const notification = (await stored(s, [ada])).get(
      occurrenceKey(ada.occurrence),
    );
    if (!notification) throw new Error("ada's occurrence is stored");
    const answers = await finishRepeats({
      ctx: s.ctx,
      repeats: [{
        at: 3,
        due: ada,
        stored: notification,
      }],
    });
    assert.deepEqual(answers, [{
      at: 3,
      outcome: { status: "duplicate", notificationId: notification.id },
    }]);
  });
});
