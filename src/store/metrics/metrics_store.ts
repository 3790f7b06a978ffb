import {
  parseLabelText,
  type Sample,
} from "../../domain/metrics/prometheus.ts";
import type { Database } from "../database.ts";
import { schema } from "../database.ts";

const { metrics } = schema;

/** Every stored counter, as samples. */
export async function readCounters(db: Database): Promise<Sample[]> {
  const rows = await db.select().from(metrics);
  return rows.map((row) => ({
    name: row.name,
    labels: parseLabelText(row.labels),
    value: row.value,
  }));
}
