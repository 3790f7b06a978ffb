import { randomSecret, type StandIns, startStandIns } from "@herald/dev";

export interface ScratchStandIns extends StandIns {
  /** The temporary directory holding their state; removed on close. */
  dir: string;
}

/**
 * The stand-ins on free ports with fresh state in a new temporary directory,
 * for one test file or benchmark. `persist: false` keeps QStash in memory.
 */
export async function startScratchStandIns(
  opts: { persist?: boolean } = {},
): Promise<ScratchStandIns> {
  const dir = await Deno.makeTempDir({ prefix: "herald-" });
  const standIns = await startStandIns({
    dir,
    ports: { libsql: 0, qstash: 0, redisRest: 0, redis: 0, push: 0 },
    redisToken: randomSecret(16),
    persist: opts.persist ?? false,
  });
  return {
    ...standIns,
    dir,
    async close() {
      await standIns.close();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}
