/** Prometheus text, read far enough for the overview's charts. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parsePrometheus(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line.startsWith("#")) continue;
    const m = LINE.exec(line.trim());
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const [, k = "", v = ""] of (m[2] ?? "").matchAll(LABEL)) {
      labels[k] = v;
    }
    out.push({ name: m[1] ?? "", labels, value: Number(m[3]) });
  }
  return out;
}

type Match = Record<string, string>;

function matches(sample: Sample, match: Match): boolean {
  return Object.entries(match).every(([k, v]) => sample.labels[k] === v);
}

/** The sum of a family's samples whose labels match. */
export function total(
  samples: readonly Sample[],
  name: string,
  match: Match = {},
): number {
  return samples.filter((x) => x.name === name && matches(x, match))
    .reduce((sum, x) => sum + x.value, 0);
}

/** A histogram's cumulative buckets (upper bound → count), summed. */
export function buckets(
  samples: readonly Sample[],
  name: string,
  match: Match = {},
): Map<number, number> {
  const out = new Map<number, number>();
  for (const x of samples) {
    if (x.name !== `${name}_bucket` || !matches(x, match)) continue;
    const le = x.labels.le === "+Inf" ? Infinity : Number(x.labels.le);
    out.set(le, (out.get(le) ?? 0) + x.value);
  }
  return out;
}

/**
 * The q-quantile of what was observed between two readings of the same
 * histogram (bucket upper bound, as Prometheus' histogram_quantile does
 * without interpolation); null when nothing was.
 */
export function quantileBetween(
  before: ReadonlyMap<number, number>,
  after: ReadonlyMap<number, number>,
  q: number,
): number | null {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const delta = bounds.map((le) =>
    (after.get(le) ?? 0) - (before.get(le) ?? 0)
  );
  const count = delta.at(-1) ?? 0;
  if (count <= 0) return null;
  const rank = q * count;
  const i = delta.findIndex((n) => n >= rank);
  const bound = bounds[i] ?? Infinity;
  // Past the last finite bucket, say the last finite bound (a floor).
  return Number.isFinite(bound) ? bound : bounds.at(-2) ?? null;
}
