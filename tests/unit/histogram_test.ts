import assert from "node:assert/strict";
import {
  bucketOf,
  type HistogramDefinition,
  histogramFamily,
  isHistogramPart,
  observation,
} from "../../src/domain/metrics/histogram.ts";
import {
  formatPrometheus,
  type Sample,
} from "../../src/domain/metrics/prometheus.ts";

const TIMING: HistogramDefinition = {
  name: "herald_test_seconds",
  help: "A test histogram.",
  buckets: [0.01, 0.1, 1],
};

/** Sums deltas per stored key, as the metrics table's upserts do. */
function store(
  ...deltas: ReturnType<typeof observation>[]
): Sample[] {
  const rows = new Map<string, Sample>();
  for (const delta of deltas.flat()) {
    const key = `${delta.name}${JSON.stringify(delta.labels)}`;
    const row = rows.get(key);
    if (row) row.value += delta.by;
    else rows.set(key, { ...delta, value: delta.by });
  }
  return [...rows.values()];
}

Deno.test("bucketOf() picks the smallest bound at or above the value, else +Inf", () => {
  assert.equal(bucketOf(TIMING, 0), "0.01");
  assert.equal(bucketOf(TIMING, 0.01), "0.01");
  assert.equal(bucketOf(TIMING, 0.0101), "0.1");
  assert.equal(bucketOf(TIMING, 1), "1");
  assert.equal(bucketOf(TIMING, 7), "+Inf");
});

Deno.test("an observation is one bucket count and the sum in whole microseconds", () => {
  assert.deepEqual(observation(TIMING, { route: "/x" }, 0.0123456), [
    {
      name: "herald_test_seconds_bucket",
      labels: { route: "/x", le: "0.1" },
      by: 1,
    },
    {
      name: "herald_test_seconds_sum_microseconds",
      labels: { route: "/x" },
      by: 12346,
    },
  ]);
  // A clock that stepped back is not a negative duration.
  assert.equal(observation(TIMING, {}, -2)[1]?.by, 0);
});

Deno.test("histogramFamily() writes cumulative buckets, +Inf equal to _count, and the sum in seconds", () => {
  const stored = store(
    observation(TIMING, { route: "/a" }, 0.005),
    observation(TIMING, { route: "/a" }, 0.05),
    observation(TIMING, { route: "/a" }, 0.06),
    observation(TIMING, { route: "/a" }, 3),
    observation(TIMING, { route: "/b" }, 0.5),
  );
  assert.equal(
    formatPrometheus([histogramFamily(TIMING, stored)]),
    [
      "# HELP herald_test_seconds A test histogram.",
      "# TYPE herald_test_seconds histogram",
      'herald_test_seconds_bucket{le="0.01",route="/a"} 1',
      'herald_test_seconds_bucket{le="0.1",route="/a"} 3',
      'herald_test_seconds_bucket{le="1",route="/a"} 3',
      'herald_test_seconds_bucket{le="+Inf",route="/a"} 4',
      'herald_test_seconds_sum{route="/a"} 3.115',
      'herald_test_seconds_count{route="/a"} 4',
      'herald_test_seconds_bucket{le="0.01",route="/b"} 0',
      'herald_test_seconds_bucket{le="0.1",route="/b"} 0',
      'herald_test_seconds_bucket{le="1",route="/b"} 1',
      'herald_test_seconds_bucket{le="+Inf",route="/b"} 1',
      'herald_test_seconds_sum{route="/b"} 0.5',
      'herald_test_seconds_count{route="/b"} 1',
      "",
    ].join("\n"),
  );
});

Deno.test("histogram rows stored by every isolate add up like counters", () => {
  // Two isolates observed the same series; their rows meet in one table.
  const stored = store(
    observation(TIMING, {}, 0.05),
    observation(TIMING, {}, 0.05),
    observation(TIMING, {}, 2),
  );
  const samples = histogramFamily(TIMING, stored).samples;
  assert.deepEqual(
    samples.map((s) => [s.name, s.labels.le ?? "", s.value]),
    [
      ["herald_test_seconds_bucket", "0.01", 0],
      ["herald_test_seconds_bucket", "0.1", 2],
      ["herald_test_seconds_bucket", "1", 2],
      ["herald_test_seconds_bucket", "+Inf", 3],
      ["herald_test_seconds_sum", "", 2.1],
      ["herald_test_seconds_count", "", 3],
    ],
  );
});

Deno.test("a stored bound that is no longer defined counts in the next bound up", () => {
  const stored: Sample[] = [
    { name: "herald_test_seconds_bucket", labels: { le: "0.05" }, value: 2 },
    { name: "herald_test_seconds_bucket", labels: { le: "5" }, value: 1 },
  ];
  const values = histogramFamily(TIMING, stored).samples
    .filter((s) => s.name.endsWith("_bucket"))
    .map((s) => s.value);
  assert.deepEqual(values, [0, 2, 2, 3]);
});

Deno.test("isHistogramPart() knows the stored counters of Herald's histograms", () => {
  assert.equal(
    isHistogramPart("herald_http_request_duration_seconds_bucket"),
    true,
  );
  assert.equal(
    isHistogramPart("herald_reconcile_duration_seconds_sum_microseconds"),
    true,
  );
  assert.equal(isHistogramPart("herald_http_requests_total"), false);
});
