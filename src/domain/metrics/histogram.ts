import { labelText, type MetricFamily, type Sample } from "./prometheus.ts";

/**
 * Prometheus histograms that add up across isolates. Each observation adds
 * 1 to the one bucket it falls in (not to every bucket above it) and its
 * value to a sum, as two plain counters in the metrics table
 * (`<name>_bucket{…,le}` and `<name>_sum_microseconds{…}`, integers so
 * `value + excluded.value` stays exact); every isolate's counts then add
 * up like any counter. The exposition makes the buckets cumulative, adds
 * `+Inf` and `_count`, and turns the sum back into seconds.
 */
export interface HistogramDefinition {
  name: string;
  help: string;
  /** Upper bounds in seconds, ascending; `+Inf` is implied. */
  buckets: readonly number[];
}

const LATENCY = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export const HTTP_REQUEST_DURATION: HistogramDefinition = {
  name: "herald_http_request_duration_seconds",
  help: "Time to answer a request (to the response head for streams), by " +
    "method, route pattern and status class.",
  buckets: LATENCY,
};

export const RECONCILE_DURATION: HistogramDefinition = {
  name: "herald_reconcile_duration_seconds",
  help: "Per-user reconciles, by outcome.",
  buckets: LATENCY,
};

export const QSTASH_CALL_DURATION: HistogramDefinition = {
  name: "herald_qstash_call_duration_seconds",
  help: "QStash API calls, by call and outcome.",
  buckets: LATENCY,
};

export const DELIVERY_LAG: HistogramDefinition = {
  name: "herald_delivery_lag_seconds",
  help: "From an occurrence's scheduled time to its event reaching a " +
    "channel (stage=published) or a live subscriber (stage=written).",
  buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900],
};

export const PUSH_LATENCY: HistogramDefinition = {
  name: "herald_push_latency_seconds",
  help: "From a notification's creation to a push service accepting its " +
    "push (201), by attempt (first or retry).",
  buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900],
};

export const HISTOGRAMS: readonly HistogramDefinition[] = [
  HTTP_REQUEST_DURATION,
  RECONCILE_DURATION,
  QSTASH_CALL_DURATION,
  DELIVERY_LAG,
  PUSH_LATENCY,
];

const INF = "+Inf";

/** The `le` of the one bucket `seconds` falls in. */
export function bucketOf(def: HistogramDefinition, seconds: number): string {
  const bound = def.buckets.find((b) => seconds <= b);
  return bound === undefined ? INF : String(bound);
}

/** The two counter deltas one observation makes. */
export function observation(
  def: HistogramDefinition,
  labels: Record<string, string>,
  seconds: number,
): { name: string; labels: Record<string, string>; by: number }[] {
  const value = Math.max(0, seconds);
  return [
    {
      name: `${def.name}_bucket`,
      labels: { ...labels, le: bucketOf(def, value) },
      by: 1,
    },
    {
      name: `${def.name}_sum_microseconds`,
      labels,
      by: Math.round(value * 1e6),
    },
  ];
}

/** True for the stored counters that belong to a histogram. */
export function isHistogramPart(name: string): boolean {
  return HISTOGRAMS.some((def) =>
    name === `${def.name}_bucket` || name === `${def.name}_sum_microseconds`
  );
}

interface Series {
  labels: Record<string, string>;
  /** Observations per bound index; the last index is +Inf. */
  counts: number[];
  sumMicroseconds: number;
}

/**
 * The exposition of one histogram from its stored counters. A stored bound
 * no longer defined (the buckets changed between deployments) is counted in
 * the next bound up, so no observation is lost.
 */
export function histogramFamily(
  def: HistogramDefinition,
  stored: readonly Sample[],
): MetricFamily {
  const series = new Map<string, Series>();
  const seriesOf = (labels: Record<string, string>) => {
    const key = labelText(labels);
    let found = series.get(key);
    if (!found) {
      found = {
        labels,
        counts: new Array(def.buckets.length + 1).fill(0),
        sumMicroseconds: 0,
      };
      series.set(key, found);
    }
    return found;
  };
  for (const sample of stored) {
    if (sample.name === `${def.name}_sum_microseconds`) {
      seriesOf(sample.labels).sumMicroseconds += sample.value;
    } else if (sample.name === `${def.name}_bucket`) {
      const { le = INF, ...labels } = sample.labels;
      const bound = le === INF ? Infinity : Number(le);
      const index = def.buckets.findIndex((b) => bound <= b);
      const at = index === -1 ? def.buckets.length : index;
      const s = seriesOf(labels);
      s.counts[at] = (s.counts[at] ?? 0) + sample.value;
    }
  }
  const samples: Sample[] = [];
  const ordered = [...series.entries()].sort(([a], [b]) => a < b ? -1 : 1);
  for (const [, s] of ordered) {
    let cumulative = 0;
    const bounds = [...def.buckets.map(String), INF];
    bounds.forEach((le, i) => {
      cumulative += s.counts[i] ?? 0;
      samples.push({
        name: `${def.name}_bucket`,
        labels: { ...s.labels, le },
        value: cumulative,
      });
    });
    samples.push({
      name: `${def.name}_sum`,
      labels: s.labels,
      value: s.sumMicroseconds / 1e6,
    });
    samples.push({
      name: `${def.name}_count`,
      labels: s.labels,
      value: cumulative,
    });
  }
  return { name: def.name, help: def.help, type: "histogram", samples };
}
