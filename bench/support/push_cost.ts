import { createClient } from "@libsql/client/web";
import { Client } from "@upstash/qstash";
import { z } from "zod";
import { DEV_QSTASH_TOKEN } from "@herald/standin-qstash";
import { cpuMs } from "./processes.ts";
import type { RemoteStack } from "./remote_stack.ts";
import { round2 } from "./rounds.ts";
import { seedPushSubscriptions, seedSlotMembers } from "./slot_seed.ts";

const DAY = 86_400_000;

export interface PushCost {
  /** Offline members a firing pushed (one device each). */
  pushes: number;
  /** workerd CPU a push adds to its firing (Worker and objects). */
  workerdCpuMsPerPush: number;
  /** QStash deliveries (so Worker requests) a push adds: its batches. */
  qstashMessagesPerPush: number;
  /** The same firing's figures with taskReminder's push off. */
  pushOff: { workerdCpuMs: number; qstashMessages: number };
  pushOn: { workerdCpuMs: number; qstashMessages: number };
}

/**
 * What pushing costs the Worker, for bench/cost.ts: two slots of `members`
 * offline members each (no stream open, one subscription each on the push
 * stand-in) fire a day after the dev clock's now, the first with
 * taskReminder's push `off`, the second with it `offline`, so every
 * member of the second is pushed. The difference — workerd's CPU and the
 * QStash deliveries, each a Worker request — is what the pushes add:
 * queuing them after each page, and each batch's callback (reading the
 * rows, encrypting, signing, sending 6 at a time). Moves the dev clock.
 */
export async function measurePushCost(
  stack: RemoteStack,
  workerd: number,
  o: { members: number; idle: (workerd: number) => Promise<void> },
): Promise<PushCost> {
  const db = createClient({ url: stack.libsqlUrl });
  const qstash = new Client({
    baseUrl: stack.qstashUrl,
    token: DEV_QSTASH_TOKEN,
    retry: false,
  });
  const dev = async (path: string, body?: unknown) => {
    const res = await fetch(`${stack.qstashUrl}${path}`, {
      method: body === undefined ? "GET" : "POST",
      headers: { authorization: `Bearer ${DEV_QSTASH_TOKEN}` },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${path}: ${res.status}`);
    return await res.json();
  };
  const stats = async () =>
    z.object({ pending: z.number(), attempts: z.number() })
      .parse(await dev("/v2/dev/stats"));
  const accepted = async () =>
    z.object({ accepted: z.number() }).parse(
      await (await fetch(`${stack.pushUrl}/dev/stats`)).json(),
    ).accepted;
  const setPolicy = async (push: "off" | "offline") => {
    const res = await stack.admin("/v1/types/taskReminder", {
      method: "PATCH",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ channels: { push } }),
    });
    if (!res.ok) throw new Error(`PATCH taskReminder: ${res.status}`);
    await res.body?.cancel();
  };
  const until = async (done: () => Promise<boolean>) => {
    while (!(await done())) await new Promise((r) => setTimeout(r, 20));
  };
  try {
    const { publicKey } = z.object({ publicKey: z.string() }).parse(
      await (await fetch(`${stack.url}/v1/push/vapid-key`)).json(),
    );
    const slots = [
      { slot: "0500", localTime: "05:00", prefix: "push-off" },
      { slot: "0501", localTime: "05:01", prefix: "push-on" },
    ] as const;
    for (const s of slots) {
      const userIds = Array.from(
        { length: o.members },
        (_, i) => `${s.prefix}-${i}`,
      );
      await seedSlotMembers(db, { userIds, ...s });
      await seedPushSubscriptions(db, {
        pushUrl: stack.pushUrl,
        applicationServerKey: publicKey,
        userIds,
      });
    }
    const { now } = z.object({ now: z.number() }).parse(
      await dev("/v2/dev/clock"),
    );
    const day = Math.floor(now / DAY) * DAY + DAY;
    const fire = async (i: 0 | 1) => {
      const { slot } = slots[i];
      await dev("/v2/dev/clock", { set: day + (300 + i) * 60_000 });
      await o.idle(workerd);
      const [before, pushed, cpu] = [
        await stats(),
        await accepted(),
        cpuMs(
          workerd,
        ),
      ];
      await qstash.publish({
        url: `${stack.url}/v1/qstash/callback`,
        body: JSON.stringify({ kind: "slot", slot }),
        headers: { "Content-Type": "application/json" },
      });
      const pushes = i === 1 ? o.members : 0;
      await until(async () => await accepted() - pushed >= pushes);
      await until(async () => (await stats()).pending === 0);
      await o.idle(workerd);
      if (await accepted() - pushed !== pushes) {
        throw new Error(`slot ${slot}: not ${pushes} pushes`);
      }
      return {
        workerdCpuMs: cpuMs(workerd) - cpu,
        qstashMessages: (await stats()).attempts - before.attempts,
      };
    };
    await setPolicy("off");
    const pushOff = await fire(0);
    await setPolicy("offline");
    const pushOn = await fire(1);
    return {
      pushes: o.members,
      workerdCpuMsPerPush: round2(
        (pushOn.workerdCpuMs - pushOff.workerdCpuMs) / o.members,
      ),
      qstashMessagesPerPush: round2(
        (pushOn.qstashMessages - pushOff.qstashMessages) / o.members,
      ),
      pushOff,
      pushOn,
    };
  } finally {
    db.close();
  }
}
