import { addDays, localParts, zonedInstant } from "../time/zoned_time.ts";

/** What to do for a recipient whose `deliverAt` has already passed. */
export const IF_PAST = ["now", "skip", "nextDay"] as const;
export type IfPast = (typeof IF_PAST)[number];

/**
 * A send's `deliverAt`: a wall-clock date and time read in each
 * recipient's own zone, or one instant for everybody.
 */
export type DeliverAt =
  | { kind: "local"; date: string; time: string }
  | { kind: "instant"; at: number };

const LOCAL = /^(\d{4}-\d{2}-\d{2})T((?:[01]\d|2[0-3]):[0-5]\d)$/;
const INSTANT =
  /^\d{4}-\d{2}-\d{2}T(?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d{1,3})?)?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)$/;

/** At most this far ahead: QStash's longest delay on pay-as-you-go. */
export const DELIVER_AT_HORIZON_MS = 365 * 86_400_000;

/**
 * Reads `"2026-12-08T09:00"` (local, no offset) or an instant with `Z` or
 * an offset; null for anything else, an impossible date included.
 */
export function parseDeliverAt(value: string): DeliverAt | null {
  const local = LOCAL.exec(value);
  if (local) {
    const [, date = "", time = ""] = local;
    return addDays(date, 0) === date ? { kind: "local", date, time } : null;
  }
  if (!INSTANT.test(value)) return null;
  const at = Date.parse(value);
  // Date.parse rolls 2026-02-30 over to March: the date part must survive.
  if (
    !Number.isFinite(at) ||
    addDays(value.slice(0, 10), 0) !== value.slice(0, 10)
  ) {
    return null;
  }
  return { kind: "instant", at };
}

/** A recipient of a send, with the zone their local time is read in. */
export interface Recipient {
  userId: string;
  timeZone: string;
}

/** Recipients who share one delivery instant: one QStash message. */
export interface PlannedInstant {
  at: number;
  recipients: string[];
}

export interface DeliveryPlan {
  /** Earliest first. */
  instants: PlannedInstant[];
  /** Recipients whose time had passed, with `ifPast: "skip"`. */
  skipped: string[];
}

/**
 * When each recipient gets a send, grouped by instant. A local time is
 * read in the recipient's zone with the rules recurring schedules follow
 * (`zonedInstant`: a time in a DST gap is where the gap moves it, a
 * repeated time its first instant). A time already passed at `now` is
 * delivered now, skipped, or at the same local time on the next day still
 * ahead (`ifPast`).
 */
export function planDelivery(p: {
  deliverAt: DeliverAt;
  ifPast: IfPast;
  recipients: readonly Recipient[];
  now: number;
}): DeliveryPlan {
  const byInstant = new Map<number, string[]>();
  const skipped: string[] = [];
  for (const r of p.recipients) {
    const at = instantFor(p, r.timeZone);
    if (at === null) {
      skipped.push(r.userId);
      continue;
    }
    const group = byInstant.get(at);
    if (group) group.push(r.userId);
    else byInstant.set(at, [r.userId]);
  }
  const instants = [...byInstant]
    .map(([at, recipients]) => ({ at, recipients }))
    .sort((a, b) => a.at - b.at);
  return { instants, skipped };
}

function instantFor(
  p: { deliverAt: DeliverAt; ifPast: IfPast; now: number },
  timeZone: string,
): number | null {
  const { deliverAt, now } = p;
  const at = deliverAt.kind === "instant"
    ? deliverAt.at
    : zonedInstant(deliverAt.date, deliverAt.time, timeZone);
  if (at > now) return at;
  if (p.ifPast === "now") return now;
  if (p.ifPast === "skip") return null;
  if (deliverAt.kind === "instant") {
    const days = Math.floor((now - at) / 86_400_000) + 1;
    return at + days * 86_400_000;
  }
  // The next local day on which that time is still ahead: tomorrow, unless
  // the requested date is already further back than today.
  const today = localParts(now, timeZone).date;
  const from = addDays(deliverAt.date, 1) > today
    ? addDays(deliverAt.date, 1)
    : today;
  const first = zonedInstant(from, deliverAt.time, timeZone);
  return first > now
    ? first
    : zonedInstant(addDays(from, 1), deliverAt.time, timeZone);
}

/** The latest instant of a plan beyond the horizon, or null when it fits. */
export function beyondHorizon(
  plan: Pick<DeliveryPlan, "instants">,
  now: number,
): number | null {
  const last = plan.instants.at(-1);
  return last && last.at > now + DELIVER_AT_HORIZON_MS ? last.at : null;
}

/** Where one instant of a send stands. */
export type InstantStatus = "pending" | "sent" | "cancelled";
/** Where a send stands, from its instants. */
export type SendStatus = "scheduled" | "delivering" | "delivered" | "cancelled";

/**
 * A send is cancelled once any of its instants was; otherwise delivered
 * when every instant went out, delivering when some did, else scheduled.
 */
export function sendStatus(instants: readonly InstantStatus[]): SendStatus {
  if (instants.includes("cancelled")) return "cancelled";
  const sent = instants.filter((s) => s === "sent").length;
  if (sent === instants.length) return "delivered";
  return sent > 0 ? "delivering" : "scheduled";
}
