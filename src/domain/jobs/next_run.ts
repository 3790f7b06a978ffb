import { Cron } from "croner";

/**
 * A QStash cron split into its zone and its five fields: `CRON_TZ=Europe/
 * Paris 30 9 * * 1-5` → zone "Europe/Paris"; no prefix means UTC.
 */
export function splitCron(cron: string): { zone: string; pattern: string } {
  const match = /^\s*(?:CRON_TZ|TZ)=(\S+)\s+(.+)$/.exec(cron);
  return match
    ? { zone: match[1] ?? "UTC", pattern: (match[2] ?? "").trim() }
    : { zone: "UTC", pattern: cron.trim() };
}

/**
 * The next firing strictly after `from` (ms), computed in the cron's own
 * zone by croner, or null when the expression never fires again or cannot
 * be read (a status page must not fail over one odd schedule).
 */
export function nextRunAt(cron: string, from: number): number | null {
  const { zone, pattern } = splitCron(cron);
  try {
    const next = new Cron(pattern, {
      timezone: zone,
      mode: "5-part",
      paused: true,
    }).nextRun(new Date(from));
    return next ? next.getTime() : null;
  } catch {
    return null;
  }
}
