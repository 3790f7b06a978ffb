import { fnv1a32 } from "./fnv1a.ts";
import { scheduleOwner } from "../schedules/schedule_plan.ts";

const USER_SCHEDULE_PREFIX = "herald.u.";

type LogFields = Record<string, string | number | boolean | null>;

/**
 * User schedule ids embed the user id (base64url, reversible). Any field
 * value that is one is logged with that part replaced by `shortId()`, so no
 * caller can leak a user id through a schedule id.
 */
export function redactScheduleIds(fields: LogFields): LogFields {
  const out: LogFields = {};
  for (const [key, value] of Object.entries(fields)) {
    out[key] =
      typeof value === "string" && value.startsWith(USER_SCHEDULE_PREFIX)
        ? redactScheduleId(value)
        : value;
  }
  return out;
}

export function redactScheduleId(id: string): string {
  const owner = scheduleOwner(id);
  if (!owner) return id;
  const rest = id.slice(id.indexOf(".", USER_SCHEDULE_PREFIX.length));
  return `${USER_SCHEDULE_PREFIX}${shortId(owner.userId)}${rest}`;
}

/**
 * A stable, non-reversible short form of a user id for logs (FNV-1a, 32 bit):
 * enough to follow one user through the logs without writing their id.
 */
export function shortId(id: string): string {
  return `u_${fnv1a32(id).toString(16).padStart(8, "0")}`;
}
