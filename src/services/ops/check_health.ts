import type { ServiceContext } from "../../context.ts";
import { sql } from "drizzle-orm";
import { databaseOutageOf } from "../../store/database_outage.ts";

export interface PartHealth {
  ok: boolean;
  latencyMs: number;
  configured: boolean;
  error?: string;
}

export interface Health {
  status: "ok" | "degraded" | "down";
  checks: { libsql: PartHealth; qstash: PartHealth; redis: PartHealth };
  /** Web Push: on with VAPID keys configured, off without. */
  push: "on" | "off";
  checkedAt: string;
}

const DEFAULT_TIMEOUT_MS = 2_000;

/**
 * Checks every part at once, each bounded by a timeout so health never hangs.
 * libSQL and QStash are required ("down" without them); Redis only
 * accelerates, so losing it is "degraded".
 */
export async function checkHealth({ ctx, timeoutMs = DEFAULT_TIMEOUT_MS }: {
  ctx: ServiceContext;
  timeoutMs?: number;
}): Promise<Health> {
  const { db, scheduler, redis } = ctx;
  const [libsql, qstash, redisCheck] = await Promise.all([
    probe(timeoutMs, async () => {
      await db.run(sql`select 1`);
    }),
    probe(timeoutMs, (signal) => scheduler.ping(signal)),
    redis
      ? probe(timeoutMs, async () => {
        await redis.ping();
      })
      : Promise.resolve<PartHealth>({
        ok: false,
        latencyMs: 0,
        configured: false,
        error: "not configured",
      }),
  ]);
  const status = !libsql.ok || !qstash.ok
    ? "down"
    : redisCheck.ok
    ? "ok"
    : "degraded";
  return {
    status,
    checks: { libsql, qstash, redis: redisCheck },
    push: ctx.config.push ? "on" : "off",
    checkedAt: new Date(ctx.now()).toISOString(),
  };
}

async function probe(
  timeoutMs: number,
  check: (signal: AbortSignal) => Promise<void>,
): Promise<PartHealth> {
  const started = performance.now();
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new Error(`timed out after ${timeoutMs} ms`));
    }, timeoutMs);
  });
  try {
    await Promise.race([check(controller.signal), timeout]);
    return { ok: true, latencyMs: elapsed(started), configured: true };
  } catch (error) {
    // Only our own sentences: driver messages can carry URLs with
    // credentials.
    const reason = error instanceof Error && error.message.startsWith("timed")
      ? error.message
      : databaseOutageOf(error)?.reason ?? "unreachable";
    return {
      ok: false,
      latencyMs: elapsed(started),
      configured: true,
      error: reason,
    };
  } finally {
    clearTimeout(timer);
  }
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 10) / 10;
}
