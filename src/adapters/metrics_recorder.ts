import { sql } from "drizzle-orm";
import { labelText } from "../domain/metrics/prometheus.ts";
import type { MetricsRecorder } from "../ports/metrics.ts";
import { schema } from "../store/database.ts";

const { metrics } = schema;

const FLUSH_EVERY_MS = 2_000;

/**
 * Counters that add up across Worker isolates and Deno processes.
 *
 * The hot path only bumps an in-memory delta (a Map lookup); deltas are
 * flushed to libSQL in the background, at most every FLUSH_EVERY_MS, as one
 * batch of `value = value + ?` upserts, so every isolate's counts add up in
 * one table without a read. A flush takes the deltas first and puts them
 * back if the write fails, so a count is neither lost to a libSQL hiccup nor
 * added twice by overlapping flushes. An isolate evicted between flushes
 * loses at most its last interval's deltas: counters are for operations,
 * not billing. Redis would be faster, but it is optional here and libSQL is
 * the source of truth either way.
 */
export function createMetricsRecorder(): MetricsRecorder {
  // "name labels" → delta; labels rendered once, as the table's key.
  let deltas = new Map<string, { name: string; labels: string; by: number }>();
  let lastFlush = 0;
  return {
    count(name, labels = {}, by = 1) {
      const text = labelText(labels);
      const key = `${name} ${text}`;
      const entry = deltas.get(key);
      if (entry) entry.by += by;
      else deltas.set(key, { name, labels: text, by });
    },
    flushDue(now) {
      return deltas.size > 0 && now - lastFlush >= FLUSH_EVERY_MS;
    },
    async flush(db, now) {
      if (deltas.size === 0) return;
      lastFlush = now;
      const taken = deltas;
      deltas = new Map();
      const rows = [...taken.values()];
      try {
        const [first, ...rest] = rows.map((row) =>
          db.insert(metrics).values({
            name: row.name,
            labels: row.labels,
            value: row.by,
          }).onConflictDoUpdate({
            target: [metrics.name, metrics.labels],
            set: { value: sql`${metrics.value} + excluded.value` },
          })
        );
        if (first) await db.batch([first, ...rest]);
      } catch (error) {
        for (const [key, row] of taken) {
          const entry = deltas.get(key);
          if (entry) entry.by += row.by;
          else deltas.set(key, row);
        }
        throw error;
      }
    },
  };
}
