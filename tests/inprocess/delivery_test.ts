import { startInProcessStack } from "./support/in_process_stack.ts";
import assert from "node:assert/strict";
import { z } from "zod";
import { deliverOccurrence } from "../../src/services/delivery/deliver_occurrence.ts";
import { deliverSlotPage } from "../../src/services/delivery/deliver_slot.ts";
import { firedAt } from "../../src/services/callbacks/dispatch_callback.ts";

/** Monday 5 January 2026, 06:00 UTC, and 09:30 the same day. */
const MONDAY_6AM = Date.UTC(2026, 0, 5, 6, 0);
const MONDAY_0930 = Date.UTC(2026, 0, 5, 9, 30);

const inboxPage = z.object({
  items: z.array(z.object({ id: z.string(), type: z.string() })),
});

Deno.test("slot and occurrence delivery in process: one notification per occurrence, and a repeat doubles nothing", async (t) => {
  const stack = await startInProcessStack({ start: MONDAY_6AM });
  const inboxOf = async (userId: string) => {
    const res = await stack.request(`/v1/users/${userId}/notifications`);
    assert.equal(res.status, 200, await res.clone().text());
    return inboxPage.parse(await res.json()).items;
  };
  const digestAt0930 = async (userId: string) => {
    const res = await stack.request(`/v1/users/${userId}/preferences`, {
      method: "PUT",
      body: JSON.stringify({
        enabled: true,
        timezone: "UTC",
        types: { morningDigest: { enabled: true, times: ["09:30"] } },
      }),
    });
    assert.equal(res.status, 200, await res.clone().text());
    await res.body?.cancel();
  };
  try {
    await digestAt0930("grace");
    await digestAt0930("linus");
    stack.clock.now = MONDAY_0930;
    // The 09:30 slot's firing, as its first QStash attempt delivers it.
    const fire0930 = () =>
      deliverSlotPage({
        ctx: stack.ctx,
        body: { kind: "slot", slot: "0930" },
        via: {
          firedAt: () =>
            firedAt({
              ctx: stack.ctx,
              message: { messageId: null, retried: 0 },
            }),
        },
      });

    await t.step("a slot's firing notifies each member once", async () => {
      const report = await fire0930();
      await stack.settled();
      assert.equal(report.members, 2);
      assert.equal(report.sent, 2);
      assert.deepEqual(
        (await inboxOf("grace")).map((n) => n.type),
        ["morningDigest"],
      );
    });

    await t.step(
      "the same firing again makes duplicates, not notifications",
      async () => {
        const report = await fire0930();
        await stack.settled();
        assert.equal(report.sent, 0);
        assert.equal(report.duplicates, 2);
        assert.equal((await inboxOf("grace")).length, 1);
        assert.equal((await inboxOf("linus")).length, 1);
      },
    );

    await t.step(
      "deliverOccurrence() for an occurrence already delivered answers duplicate",
      async () => {
        const body = {
          kind: "user-schedule" as const,
          userId: "grace",
          type: "morningDigest",
          localTime: "09:30",
        };
        const via = {
          scheduleId: null,
          firedAt: MONDAY_0930,
        };
        const outcome = await deliverOccurrence({ ctx: stack.ctx, body, via });
        await stack.settled();
        assert.equal(outcome.status, "duplicate");
        assert.equal((await inboxOf("grace")).length, 1);
      },
    );

    await t.step(
      "deliverOccurrence() sends a new occurrence once, however often it is called",
      async () => {
        stack.clock.now = MONDAY_0930 + 86_400_000;
        const body = {
          kind: "user-schedule" as const,
          userId: "linus",
          type: "morningDigest",
          localTime: "09:30",
        };
        const via = {
          scheduleId: null,
          firedAt: stack.clock.now,
        };
        const first = await deliverOccurrence({ ctx: stack.ctx, body, via });
        const again = await deliverOccurrence({ ctx: stack.ctx, body, via });
        await stack.settled();
        assert.equal(first.status, "sent");
        assert.deepEqual(again, {
          status: "duplicate",
          notificationId: first.status === "sent" ? first.notificationId : "",
        });
        assert.equal((await inboxOf("linus")).length, 2);
      },
    );
  } finally {
    await stack.close();
  }
});
