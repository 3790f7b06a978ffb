/**
 * Building a DateTimeFormat loads the zone's rules, and every stored
 * preference is validated on each read: found names are remembered. Only
 * found ones, and only so many, so odd spellings cannot grow it without end.
 */
const canonical = new Map<string, string>();
const MAX_REMEMBERED = 1_000;

/**
 * The current IANA names of zones the JavaScript engines still call by an
 * older one: ICU follows CLDR, which keeps the first spelling as its
 * canonical id, so `resolvedOptions()` turns "Asia/Kolkata" into
 * "Asia/Calcutta" and "Europe/Kyiv" into "Europe/Kiev".
 */
const CURRENT_NAME: Readonly<Record<string, string>> = {
  "Africa/Asmera": "Africa/Asmara",
  "America/Buenos_Aires": "America/Argentina/Buenos_Aires",
  "America/Catamarca": "America/Argentina/Catamarca",
  "America/Coral_Harbour": "America/Atikokan",
  "America/Cordoba": "America/Argentina/Cordoba",
  "America/Godthab": "America/Nuuk",
  "America/Indianapolis": "America/Indiana/Indianapolis",
  "America/Jujuy": "America/Argentina/Jujuy",
  "America/Louisville": "America/Kentucky/Louisville",
  "America/Mendoza": "America/Argentina/Mendoza",
  "Asia/Calcutta": "Asia/Kolkata",
  "Asia/Katmandu": "Asia/Kathmandu",
  "Asia/Rangoon": "Asia/Yangon",
  "Asia/Saigon": "Asia/Ho_Chi_Minh",
  "Atlantic/Faeroe": "Atlantic/Faroe",
  "Europe/Kiev": "Europe/Kyiv",
  "Pacific/Enderbury": "Pacific/Kanton",
  "Pacific/Ponape": "Pacific/Pohnpei",
  "Pacific/Truk": "Pacific/Chuuk",
};

/**
 * Checks a time zone name against the runtime's zone database and returns the
 * name Herald stores, or null when the zone is unknown: the name as written
 * when the database spells it so (old or new), else the zone's current IANA
 * name — never an older one than the caller gave.
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
  let resolved: string;
  try {
    // The lookup ignores case but Go's does not, so a name is only kept as
    // written when it is one of the zone's own spellings, case and all.
    resolved = new Intl.DateTimeFormat("en-US", { timeZone: name })
      .resolvedOptions().timeZone;
  } catch {
    return null;
  }
  const current = CURRENT_NAME[resolved] ?? resolved;
  const zone = name === resolved || name === current ? name : current;
  if (canonical.size >= MAX_REMEMBERED) canonical.clear();
  canonical.set(name, zone);
  return zone;
}
