import { parseDeliverAt } from "./deliver_at.ts";

/** When a notification leaves the inbox: a while after it is made, or an instant. */
export type Expiry = { after: number } | { at: number };

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DURATION = /^([1-9]\d{0,5})(s|m|h|d)$/;
/** Longer than this is not a notice but a record: keep it. */
const MAX_EXPIRY_MS = 365 * UNIT_MS.d;
/** Shorter than this would expire before most clients see it. */
const MIN_EXPIRY_MS = UNIT_MS.m;

/**
 * Reads `"8h"` (also `s`, `m`, `d`; one minute to a year) or an instant
 * with `Z` or an offset; null for anything else.
 */
export function parseExpiry(value: string): Expiry | null {
  const duration = DURATION.exec(value);
  if (duration) {
    const [, amount = "", unit = "s"] = duration;
    const after = Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS];
    return after >= MIN_EXPIRY_MS && after <= MAX_EXPIRY_MS ? { after } : null;
  }
  const instant = parseDeliverAt(value);
  return instant?.kind === "instant" ? { at: instant.at } : null;
}

/** The instant a notification made at `madeAt` expires. */
export function expiryInstant(expiry: Expiry, madeAt: number): number {
  return "at" in expiry ? expiry.at : madeAt + expiry.after;
}
