/**
 * Building a DateTimeFormat loads the zone's rules, and every stored
 * preference is validated on each read: found names are remembered. Only
 * found ones, and only so many, so odd spellings cannot grow it without end.
 */
const canonical = new Map<string, string>();
const MAX_REMEMBERED = 1_000;

/**
 * Checks a time zone name against the runtime's zone database and returns the
 * name Herald stores, or null when the zone is unknown.
 *
 * `Intl.supportedValuesOf("timeZone")` is not enough on its own: V8 leaves out
 * "UTC" and every link name ("US/Eastern"). The DateTimeFormat constructor
 * accepts every name the database knows, so it is the check.
 */
export function canonicalTimeZone(name: string): string | null {
  const known = canonical.get(name);
  if (known !== undefined) return known;
  // Recent engines also accept UTC offsets ("+01:00"); they are not zone names,
  // and QStash's CRON_TZ (Go's zone loader) rejects them.
  if (!/^[A-Za-z]/.test(name)) return null;
  try {
    // Store the database's own spelling: the lookup here ignores case but Go's
    // does not, so "europe/paris" must become "Europe/Paris" before it reaches
    // a cron expression. Links resolve too ("Asia/Kolkata" may come back as
    // "Asia/Calcutta"); both name the same zone in every database.
    const zone = new Intl.DateTimeFormat("en-US", { timeZone: name })
      .resolvedOptions().timeZone;
    if (canonical.size >= MAX_REMEMBERED) canonical.clear();
    canonical.set(name, zone);
    return zone;
  } catch {
    return null;
  }
}
