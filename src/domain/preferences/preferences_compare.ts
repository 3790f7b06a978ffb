import type { Preferences, TypePreference } from "./preferences.ts";

/** One changed leaf, e.g. `types.taskReminder.times` from ["14:00"] to ["14:00","17:30"]. */
export interface PreferenceChange {
  path: string;
  from: unknown;
  to: unknown;
}

type Leaf = boolean | string | readonly string[] | null;

function sameLeaf(a: Leaf, b: Leaf): boolean {
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, index) => item === b[index]);
  }
  return a === b;
}

/**
 * Lists what changed between two versions, for the audit trail written beside
 * every save. Arrays are leaves (a reordered list is a changed list), and the
 * order is fixed — top-level fields, then types in catalogue order — so two
 * equal comparisons always read the same.
 */
export function comparePreferences(
  old: Preferences,
  next: Preferences,
): PreferenceChange[] {
  const changes: PreferenceChange[] = [];
  const note = (path: string, from: Leaf, to: Leaf) => {
    if (!sameLeaf(from, to)) changes.push({ path, from, to });
  };

  note("enabled", old.enabled, next.enabled);
  note("timezone", old.timezone, next.timezone);
  if (old.quietHours && next.quietHours) {
    note("quietHours.start", old.quietHours.start, next.quietHours.start);
    note("quietHours.end", old.quietHours.end, next.quietHours.end);
  } else if (old.quietHours !== next.quietHours) {
    changes.push({
      path: "quietHours",
      from: old.quietHours,
      to: next.quietHours,
    });
  }

  note("channels.push", old.channels.push, next.channels.push);

  // Either side may lack a type the other has (the catalogue changed).
  const oldTypes: Partial<Record<string, TypePreference>> = old.types;
  const nextTypes: Partial<Record<string, TypePreference>> = next.types;
  const ids = [
    ...Object.keys(next.types),
    ...Object.keys(old.types).filter((id) => !(id in next.types)),
  ];
  for (const id of ids) {
    const from = oldTypes[id];
    const to = nextTypes[id];
    if (!from || !to) {
      if (from !== to) {
        changes.push({
          path: `types.${id}`,
          from: from ?? null,
          to: to ?? null,
        });
      }
      continue;
    }
    note(`types.${id}.enabled`, from.enabled, to.enabled);
    note(`types.${id}.times`, from.times, to.times);
    note(`types.${id}.days`, from.days, to.days);
    note(`types.${id}.channels.push`, from.channels.push, to.channels.push);
  }
  return changes;
}
