import { startRemoteStack } from "./support/remote_stack.ts";
import { report, summarize, timed } from "./stats.ts";

/**
 * `GET /v1/users/{id}/upcoming?days=31` for a user with 4 types × 3 times
 * (and quiet hours, so some occurrences are deferred) in a zone with DST,
 * against a plain `GET …/preferences` of the same user (the floor: the same
 * reads, libSQL and the catalogue, without the planning). Requests
 * alternate one by one so drift hits both. Needs `deno task build`.
 * Env: BENCH_REQUESTS (400 a side).
 */
const REQUESTS = Number(Deno.env.get("BENCH_REQUESTS") ?? 400);
const USER = "bench-upcoming";

const stack = await startRemoteStack();

async function get(path: string): Promise<number> {
  return await timed(async () => {
    const res = await stack.admin(path);
    if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
    await res.body?.cancel();
  });
}

try {
  const load = await Deno.readTextFile("/proc/loadavg");
  const times = ["07:30", "12:00", "21:45"];
  const saved = await stack.admin(`/v1/users/${USER}/preferences`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      enabled: true,
      timezone: "America/New_York",
      quietHours: { start: "21:00", end: "07:00" },
      types: Object.fromEntries(
        ["morningDigest", "taskReminder", "eveningSummary", "weeklyReport"]
          .map((t) => [t, { enabled: true, times }]),
      ),
    }),
  });
  if (saved.status !== 200) throw new Error(`save: ${saved.status}`);
  await saved.body?.cancel();
  const probe = await stack.admin(`/v1/users/${USER}/upcoming?days=31`);
  const { items } = await probe.json() as { items: unknown[] };
  const floor: number[] = [];
  const upcoming: number[] = [];
  // A warm-up of each, not measured.
  for (let i = 0; i < 20; i++) {
    await get(`/v1/users/${USER}/preferences`);
    await get(`/v1/users/${USER}/upcoming?days=31`);
  }
  for (let i = 0; i < REQUESTS * 2; i++) {
    if (i % 2 === 0) floor.push(await get(`/v1/users/${USER}/preferences`));
    else upcoming.push(await get(`/v1/users/${USER}/upcoming?days=31`));
  }
  const f = summarize(floor);
  const u = summarize(upcoming);
  await report("upcoming", {
    machine: { cores: navigator.hardwareConcurrency, deno: Deno.version.deno },
    loadAverageAtStart: load.trim(),
    occurrencesPerAnswer: items.length,
    floorPreferencesReadMs: f,
    upcomingDays31Ms: u,
    p50Ratio: Math.round(u.p50 / f.p50 * 100) / 100,
    p99Ratio: Math.round(u.p99 / f.p99 * 100) / 100,
  });
} finally {
  await stack.close();
}
