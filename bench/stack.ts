import { Client } from "@upstash/qstash";
import { createClient } from "@libsql/client/web";
import { Redis } from "@upstash/redis";
import { startScratchStandIns } from "../tests/support/scratch_stand_ins.ts";
import { DEV_QSTASH_TOKEN } from "@herald/standin-qstash";
import { report, summarize, timed } from "./stats.ts";

/**
 * The stand-ins' own cost, so later figures can tell Herald's share from
 * theirs: QStash publish → signed delivery, a Hrana `execute` round trip and
 * an Upstash REST command, each measured with the official client.
 */
const ROUNDS = Number(Deno.env.get("BENCH_ROUNDS") ?? 300);

const standIns = await startScratchStandIns();

try {
  // QStash: publish, and stop the clock when the receiver gets the message.
  let arrived: (() => void) | null = null;
  const receiver = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (req) => {
      await req.arrayBuffer();
      arrived?.();
      return new Response("ok");
    },
  );
  const qstash = new Client({
    baseUrl: standIns.qstashUrl,
    token: DEV_QSTASH_TOKEN,
    devMode: false,
    enableTelemetry: false,
  });
  const destination = `http://127.0.0.1:${receiver.addr.port}/hook`;
  const publishToDelivery: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    publishToDelivery.push(
      await timed(async () => {
        const delivered = new Promise<void>((r) => (arrived = r));
        await qstash.publish({ url: destination, body: `{"i":${i}}` });
        await delivered;
      }),
    );
  }
  await receiver.shutdown();

  const libsql = createClient({ url: standIns.libsqlUrl });
  await libsql.execute(
    "create table if not exists bench (k integer primary key, v text)",
  );
  const hranaExecute: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    hranaExecute.push(
      await timed(() => libsql.execute({ sql: "select ? as v", args: [i] })),
    );
  }
  libsql.close();

  const redisRest: number[] = [];
  if (standIns.redis) {
    const redis = new Redis({
      url: standIns.redis.restUrl,
      token: standIns.redis.token,
      enableAutoPipelining: false,
    });
    for (let i = 0; i < ROUNDS; i++) {
      redisRest.push(await timed(() => redis.incr("bench:counter")));
    }
  }

  await report("stack", {
    rounds: ROUNDS,
    qstashPublishToDeliveryMs: summarize(publishToDelivery),
    hranaExecuteMs: summarize(hranaExecute),
    redisRestIncrMs: redisRest.length ? summarize(redisRest) : null,
  });
} finally {
  await standIns.close();
}
