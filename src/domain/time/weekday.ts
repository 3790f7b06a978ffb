/** The seven weekdays in the order Herald stores and shows them (ISO: Monday first). */
export const WEEKDAYS = [
  "mon",
  "tue",
  "wed",
  "thu",
  "fri",
  "sat",
  "sun",
] as const;

export type Weekday = (typeof WEEKDAYS)[number];

// Cron numbers days from Sunday = 0, unlike the ISO order above.
const CRON_DAY_NUMBER: Readonly<Record<Weekday, number>> = {
  sun: 0,
  mon: 1,
  tue: 2,
  wed: 3,
  thu: 4,
  fri: 5,
  sat: 6,
};

export function cronDayNumber(day: Weekday): number {
  return CRON_DAY_NUMBER[day];
}

/** The weekday of a calendar date "YYYY-MM-DD" (no zone involved). */
export function weekdayOf(date: string): Weekday {
  const [y, m, d] = date.split("-").map(Number);
  return WEEKDAYS[(new Date(Date.UTC(y!, m! - 1, d!)).getUTCDay() + 6) % 7]!;
}

/** Returns the given days deduplicated, in canonical Monday-first order. */
export function inWeekOrder(days: readonly Weekday[]): Weekday[] {
  return WEEKDAYS.filter((day) => days.includes(day));
}
