import { Cron } from "croner";

/**
 * When a system job runs: every fixed interval, or a cron expression read in
 * a time zone. Both become one QStash cron (one-minute resolution, robfig
 * syntax, `CRON_TZ=` for the zone), so an interval is accepted only when a
 * cron repeats at exactly that rhythm.
 */
export type JobTrigger =
  | { type: "interval"; every: string }
  | { type: "cron"; cron: string; timezone: string };

export type TriggerResult =
  | { ok: true; cron: string }
  | { ok: false; field: "every" | "cron"; message: string };

const INTERVAL = /^(\d{1,6})(s|m|h|d|w)$/;
const MINUTES_PER: Record<string, number> = {
  m: 1,
  h: 60,
  d: 1_440,
  w: 10_080,
};
const HOUR = 60;
const DAY = 1_440;
const WEEK = 10_080;

/**
 * "5m" → "*\/5 * * * *". Cron steps restart at every hour (minutes) and
 * every day (hours), so only divisors of 60 minutes and of 24 hours repeat
 * evenly; a day and a week are the two longer rhythms cron has.
 */
export function intervalToCron(every: string): TriggerResult {
  const refuse = (message: string): TriggerResult => ({
    ok: false,
    field: "every",
    message,
  });
  const match = INTERVAL.exec(every.trim());
  if (!match) {
    return refuse(
      `"${every}" is not an interval; use a number and a unit (s, m, h, d, w), e.g. "5m"`,
    );
  }
  const amount = Number(match[1]);
  const unit = match[2] ?? "";
  if (amount === 0) return refuse(`"${every}" is not a positive interval`);
  let minutes: number;
  if (unit === "s") {
    if (amount % 60 !== 0) {
      return refuse(
        `"${every}" is finer than QStash's one-minute resolution`,
      );
    }
    minutes = amount / 60;
  } else minutes = amount * (MINUTES_PER[unit] ?? 0);

  if (minutes < HOUR && HOUR % minutes === 0) {
    return {
      ok: true,
      cron: minutes === 1 ? "* * * * *" : `*/${minutes} * * * *`,
    };
  }
  if (minutes % HOUR === 0 && minutes < DAY && DAY % minutes === 0) {
    const hours = minutes / HOUR;
    return { ok: true, cron: hours === 1 ? "0 * * * *" : `0 */${hours} * * *` };
  }
  if (minutes === DAY) return { ok: true, cron: "0 0 * * *" };
  if (minutes === WEEK) return { ok: true, cron: "0 0 * * 0" };
  return refuse(
    `"${every}" cannot be expressed exactly as a cron schedule; use a divisor of 60 minutes (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30), of 24 hours (1, 2, 3, 4, 6, 8, 12), 1d or 1w, or a cron trigger`,
  );
}

// robfig/cron (which QStash runs) knows neither L, W nor #, which croner
// would accept: each field is numbers, `*` or `?`, joined by `,` `-` `/`,
// with three-letter names only in the month and weekday fields. The zone
// belongs in `timezone`, not in the expression.
const NUMBERS = /^(?:\*|\?|\d+)$/;
const NAMES = /^(?:\*|\?|\d+|[A-Za-z]{3})$/;
const FIELD_TOKENS = [NUMBERS, NUMBERS, NUMBERS, NAMES, NAMES];

function robfigField(field: string, index: number): boolean {
  const token = FIELD_TOKENS[index] ?? NUMBERS;
  return field.split(/[,/-]/).every((part) => token.test(part));
}

/** Checks a five-field cron expression as QStash would read it. */
export function checkCronExpression(
  expression: string,
  timezone: string,
): TriggerResult {
  const refuse = (message: string): TriggerResult => ({
    ok: false,
    field: "cron",
    message,
  });
  const text = expression.trim();
  if (/^(CRON_TZ|TZ)=/.test(text)) {
    return refuse(`put the zone in "timezone", not in the expression`);
  }
  const fields = text.split(/\s+/);
  if (fields.length !== 5) {
    return refuse(
      `"${expression}" has ${fields.length} fields; a cron expression has 5 (minute hour day month weekday)`,
    );
  }
  if (!fields.every(robfigField)) {
    return refuse(`"${expression}" uses syntax QStash does not support`);
  }
  try {
    new Cron(fields.join(" "), { timezone, mode: "5-part", paused: true });
  } catch (error) {
    const reason = error instanceof Error ? error.message : "invalid";
    return refuse(`"${expression}" is not a valid cron expression: ${reason}`);
  }
  return { ok: true, cron: `CRON_TZ=${timezone} ${fields.join(" ")}` };
}

/** The QStash cron for a trigger. Intervals run in UTC. */
export function triggerCron(trigger: JobTrigger): TriggerResult {
  return trigger.type === "interval"
    ? intervalToCron(trigger.every)
    : checkCronExpression(trigger.cron, trigger.timezone);
}

/** The zone a trigger is read in. */
export function triggerZone(trigger: JobTrigger): string {
  return trigger.type === "cron" ? trigger.timezone : "UTC";
}
