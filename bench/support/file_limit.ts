import { fileLimit } from "./processes.ts";

/**
 * Makes sure this process may hold `needed` more descriptors (each
 * subscriber is one socket here, and one in the server). The soft limit is
 * raised to the hard one with util-linux `prlimit` when that suffices —
 * children started afterwards (workerd, nginx) inherit it. Raising the hard
 * limit needs CAP_SYS_RESOURCE; without it the bench stops and says so.
 */
export async function ensureFileLimit(needed: number): Promise<number> {
  const want = needed + 1_000;
  if (fileLimit() >= want) return fileLimit();
  const limits = Deno.readTextFileSync("/proc/self/limits");
  const hard = /^Max open files\s+\S+\s+(\d+|unlimited)/m.exec(limits)?.[1];
  const hardLimit = !hard || hard === "unlimited" ? Infinity : Number(hard);
  if (hardLimit >= want) {
    const target = Number.isFinite(hardLimit) ? hardLimit : want;
    await new Deno.Command("prlimit", {
      args: ["--pid", String(Deno.pid), `--nofile=${target}:${hard}`],
    }).output().catch(() => null);
  }
  if (fileLimit() < want) {
    throw new Error(
      `Need ${want} open files, the limit is ${fileLimit()} (hard ${hard}). ` +
        `Run under \`prlimit --nofile=${want * 2}\` or \`ulimit -n ${
          want * 2
        }\` as a user allowed to raise it.`,
    );
  }
  return fileLimit();
}
