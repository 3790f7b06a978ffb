/**
 * Process facts from /proc (Linux only): the workerd that Miniflare spawned,
 * nginx's workers, and resident memory as the kernel counts it.
 */

export interface Memory {
  /** VmRSS: resident set, KiB. */
  rssKiB: number;
  /** RssAnon: the private heap/stack part of it, KiB. */
  anonKiB: number;
  /** RssShmem: shared memory touched (nchan keeps messages there), KiB. */
  shmemKiB: number;
}

/** Direct children of `ppid` whose command line contains `name`. */
export function childPids(ppid: number, name: string): number[] {
  const out: number[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
      // pid (comm) state ppid …; comm may hold spaces and parens.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[1]) !== ppid) continue;
      const cmdline = Deno.readTextFileSync(`/proc/${entry.name}/cmdline`);
      if (cmdline.includes(name)) out.push(Number(entry.name));
    } catch {
      // The process went away while we looked.
    }
  }
  return out;
}

export function memoryOf(pid: number): Memory {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const field = (name: string) => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status);
    return match?.[1] ? Number(match[1]) : 0;
  };
  return {
    rssKiB: field("VmRSS"),
    anonKiB: field("RssAnon"),
    shmemKiB: field("RssShmem"),
  };
}

/** Summed over several processes (nginx master + workers, say). */
export function memoryOfAll(pids: readonly number[]): Memory {
  const total: Memory = { rssKiB: 0, anonKiB: 0, shmemKiB: 0 };
  for (const pid of pids) {
    const m = memoryOf(pid);
    total.rssKiB += m.rssKiB;
    total.anonKiB += m.anonKiB;
    total.shmemKiB += m.shmemKiB;
  }
  return total;
}

/** Open file descriptors allowed to this process (soft limit). */
export function fileLimit(pid: number | "self" = "self"): number {
  const limits = Deno.readTextFileSync(`/proc/${pid}/limits`);
  const match = /^Max open files\s+(\d+|unlimited)/m.exec(limits);
  if (!match?.[1] || match[1] === "unlimited") return Infinity;
  return Number(match[1]);
}

/** CPU time (user + system) a process has used, in ms. */
export function cpuMs(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime and stime are fields 14 and 15 of stat (1-based), in clock ticks;
  // after "pid (comm) " they are at indices 11 and 12.
  const ticks = Number(fields[11]) + Number(fields[12]);
  return ticks * 10; // USER_HZ is 100 on Linux.
}
