import { z } from "zod";

const WINDOW = /^([1-9]\d{0,4})(m|h)$/;
const MINUTE_MS = 60_000;
/** A window is one minute to a day. */
const MAX_WINDOW_MS = 24 * 60 * MINUTE_MS;

/** A window such as "10m" or "2h" in ms, or null outside 1 min – 24 h. */
export function windowMs(window: string): number | null {
  const m = WINDOW.exec(window);
  if (!m) return null;
  const ms = Number(m[1]) * (m[2] === "h" ? 60 : 1) * MINUTE_MS;
  return ms <= MAX_WINDOW_MS ? ms : null;
}

/** A catalogue type's digest: joins within `window`, at most `max` each. */
export const digestRuleSchema = z.strictObject({
  window: z.string().refine((w) => windowMs(w) !== null, {
    error: 'Use a window from "1m" to "24h" (e.g. "10m")',
  }),
  max: z.number().int().min(2).max(1_000),
});
export type DigestRule = z.output<typeof digestRuleSchema>;

/** One notification that joined a digest, as the digest lists it. */
export const digestItemSchema = z.object({
  title: z.string(),
  body: z.string(),
  data: z.record(z.string(), z.unknown()).nullable(),
  createdAt: z.string(),
});
export type DigestItem = z.output<typeof digestItemSchema>;

/** Items a digest keeps from each end: the first and the last ten. */
const DIGEST_ENDS = 10;

/** A digest's shape in its inbox item's `data.digest`. */
export interface DigestState {
  count: number;
  /** The first `DIGEST_ENDS` and the last `DIGEST_ENDS`, in order. */
  items: DigestItem[];
}

/**
 * One more item joins: counted, and kept when it is among the first ten
 * or the last ten (the oldest of the last ten gives way).
 */
export function joinDigest(state: DigestState, item: DigestItem): DigestState {
  const items = [...state.items, item];
  if (items.length > 2 * DIGEST_ENDS) items.splice(DIGEST_ENDS, 1);
  return { count: state.count + 1, items };
}
