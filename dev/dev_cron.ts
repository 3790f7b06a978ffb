import { z } from "zod";

/**
 * The Worker's cron trigger (`* * * * *` in wrangler.toml) in the local
 * stack: fired every minute of wall time, as Cloudflare fires it, and after
 * every jump of the QStash dev clock — the launcher registers as a clock
 * follower (`qstash/clock_followers.ts`) — so advancing the clock a day
 * also plays the retries and sweeps that day holds. Runs never overlap: a
 * trigger that comes while one runs makes one more run after it.
 */
export interface DevCronOptions {
  /** Where the Worker answers (its health tells its clock). */
  workerUrl: string;
  /** Runs the Worker's cron trigger once, to completion. */
  runCron(): Promise<void>;
  qstash: { url: string; token: string };
  /** Where QStash tells this launcher of clock jumps (0: any free port). */
  followerPort: number;
  log: (line: string) => void;
}

export interface DevCron {
  /** POST here to run the trigger now; answered once it has run. */
  cronUrl: string;
  close(): Promise<void>;
}

const MINUTE_MS = 60_000;
const announcement = z.object({ now: z.number() });
const health = z.object({ checkedAt: z.string() });

export async function startDevCron(opts: DevCronOptions): Promise<DevCron> {
  const runs = coalesced(async () => {
    try {
      await opts.runCron();
    } catch (error) {
      opts.log(`cron trigger failed: ${error}`);
    }
  });

  // QStash waits for this answer before it goes on, so answer at once and
  // run the trigger once the Worker has taken the new time (it is told in
  // parallel with this launcher).
  const follower = Deno.serve(
    { hostname: "127.0.0.1", port: opts.followerPort, onListen: () => {} },
    async (request) => {
      if (new URL(request.url).pathname === "/cron") {
        // On demand (benchmarks): answers once the run has finished.
        runs.trigger();
        await runs.idle();
        return new Response(null, { status: 204 });
      }
      const told = announcement.safeParse(
        await request.json().catch(() => null),
      );
      if (!told.success) return new Response("Expected {now}", { status: 400 });
      void workerReached(opts.workerUrl, told.data.now).then(runs.trigger);
      return Response.json({ now: told.data.now });
    },
  );
  const followerUrl = `http://127.0.0.1:${follower.addr.port}/clock`;
  await register(opts.qstash, followerUrl).catch((error) => {
    opts.log(`cron will not follow the QStash clock: ${error}`);
  });

  let timer: ReturnType<typeof setTimeout> | undefined;
  const tick = () => {
    runs.trigger();
    timer = setTimeout(tick, MINUTE_MS - (Date.now() % MINUTE_MS));
  };
  timer = setTimeout(tick, MINUTE_MS - (Date.now() % MINUTE_MS));

  return {
    cronUrl: `http://127.0.0.1:${follower.addr.port}/cron`,
    async close() {
      clearTimeout(timer);
      await follower.shutdown();
      await runs.idle();
    },
  };
}

async function register(
  qstash: { url: string; token: string },
  url: string,
): Promise<void> {
  const res = await fetch(`${qstash.url}/v2/dev/clock/followers`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${qstash.token}`,
      "content-type": "application/json",
    },
    body: JSON.stringify({ url }),
  });
  await res.body?.cancel();
  if (!res.ok) throw new Error(`QStash answered ${res.status}`);
}

/**
 * Resolves once the Worker's clock reads `now` or later (its health answer
 * carries its time), or after a few tries: a Worker that is down or slow
 * to hear must not hold the cron back for good.
 */
async function workerReached(workerUrl: string, now: number): Promise<void> {
  for (let attempt = 0; attempt < 20; attempt++) {
    try {
      const res = await fetch(`${workerUrl}/health`);
      const body = health.safeParse(await res.json());
      if (body.success && Date.parse(body.data.checkedAt) >= now) return;
    } catch {
      // Not up (yet): try again.
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** `trigger()` runs `work`, or once more after the run in progress. */
function coalesced(work: () => Promise<void>) {
  let running: Promise<void> | null = null;
  let again = false;
  const start = () => {
    running = (async () => {
      do {
        again = false;
        await work();
      } while (again);
      running = null;
    })();
  };
  return {
    trigger() {
      if (running) again = true;
      else start();
    },
    async idle() {
      while (running) await running;
    },
  };
}
