/**
 * Prometheus' text exposition format (version 0.0.4): one `# HELP` and
 * `# TYPE` line per metric, then one sample per label set.
 */
export interface Sample {
  name: string;
  /** Label name → value; rendered sorted by name. */
  labels: Record<string, string>;
  value: number;
}

export interface MetricFamily {
  name: string;
  help: string;
  type: "counter" | "gauge" | "histogram";
  /**
   * Counters and gauges are written sorted by labels. A histogram's samples
   * (`_bucket` by ascending `le`, then `_sum` and `_count`, per label set)
   * are written in the order given: that order is part of the format.
   */
  samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Label values escape backslash, double quote and newline. */
export function escapeLabelValue(value: string): string {
  return value.replaceAll("\\", "\\\\").replaceAll('"', '\\"')
    .replaceAll("\n", "\\n");
}

/** HELP text escapes backslash and newline only. */
function escapeHelp(text: string): string {
  return text.replaceAll("\\", "\\\\").replaceAll("\n", "\\n");
}

/** `{a="1",b="2"}`, or "" without labels. Also the metrics table's key. */
export function labelText(labels: Record<string, string>): string {
  const names = Object.keys(labels).sort();
  if (names.length === 0) return "";
  for (const name of names) {
    if (!LABEL_NAME.test(name)) {
      throw new RangeError(`Label name "${name}" is not valid`);
    }
  }
  return `{${
    names.map((n) => `${n}="${escapeLabelValue(labels[n] ?? "")}"`).join(",")
  }}`;
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

export function formatPrometheus(families: readonly MetricFamily[]): string {
  const lines: string[] = [];
  for (const family of families) {
    if (!METRIC_NAME.test(family.name)) {
      throw new RangeError(`Metric name "${family.name}" is not valid`);
    }
    lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`);
    lines.push(`# TYPE ${family.name} ${family.type}`);
    const samples = family.type === "histogram"
      ? family.samples
      : [...family.samples].sort((a, b) => {
        const la = labelText(a.labels);
        const lb = labelText(b.labels);
        return la < lb ? -1 : la > lb ? 1 : 0;
      });
    for (const sample of samples) {
      if (!sample.name.startsWith(family.name)) {
        throw new RangeError(
          `Sample "${sample.name}" is not part of "${family.name}"`,
        );
      }
      lines.push(
        `${sample.name}${labelText(sample.labels)} ${
          formatValue(sample.value)
        }`,
      );
    }
  }
  return lines.join("\n") + "\n";
}

/** Reads a stored label key back (`{a="1"}` → {a: "1"}); the inverse of labelText. */
export function parseLabelText(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  const pair = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
  for (const match of text.matchAll(pair)) {
    const [, name = "", raw = ""] = match;
    labels[name] = raw.replace(
      /\\(.)/g,
      (_, c: string) => (c === "n" ? "\n" : c),
    );
  }
  return labels;
}
