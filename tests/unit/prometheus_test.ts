import assert from "node:assert/strict";
import {
  escapeLabelValue,
  formatPrometheus,
  labelText,
  parseLabelText,
} from "../../src/domain/metrics/prometheus.ts";

Deno.test("formatPrometheus() writes HELP and TYPE once per family, samples sorted by labels", () => {
  const text = formatPrometheus([{
    name: "herald_reconciles_total",
    help: "Per-user reconciles, by outcome.",
    type: "counter",
    samples: [
      {
        name: "herald_reconciles_total",
        labels: { outcome: "synced" },
        value: 7,
      },
      {
        name: "herald_reconciles_total",
        labels: { outcome: "pending" },
        value: 1,
      },
    ],
  }, {
    name: "herald_live_subscribers",
    help: "SSE subscribers connected now.",
    type: "gauge",
    samples: [{ name: "herald_live_subscribers", labels: {}, value: 3 }],
  }]);
  assert.equal(
    text,
    [
      "# HELP herald_reconciles_total Per-user reconciles, by outcome.",
      "# TYPE herald_reconciles_total counter",
      'herald_reconciles_total{outcome="pending"} 1',
      'herald_reconciles_total{outcome="synced"} 7',
      "# HELP herald_live_subscribers SSE subscribers connected now.",
      "# TYPE herald_live_subscribers gauge",
      "herald_live_subscribers 3",
      "",
    ].join("\n"),
  );
});

Deno.test("labelText() sorts label names and escapes values", () => {
  assert.equal(labelText({}), "");
  assert.equal(
    labelText({ outcome: "ok", call: 'say "hi"\\\n' }),
    '{call="say \\"hi\\"\\\\\\n",outcome="ok"}'.replace("\\\n", "\\n"),
  );
  assert.equal(escapeLabelValue('a"b\\c\nd'), 'a\\"b\\\\c\\nd');
});

Deno.test("parseLabelText() reads back what labelText() wrote", () => {
  const cases: Record<string, string>[] = [
    {},
    { status: "2xx" },
    { call: "upsert", outcome: "error" },
    { weird: 'quote " backslash \\ newline \n end' },
  ];
  for (const labels of cases) {
    assert.deepEqual(parseLabelText(labelText(labels)), labels);
  }
});

Deno.test("formatPrometheus() writes special values as Prometheus spells them", () => {
  const text = formatPrometheus([{
    name: "x",
    help: "line one\nline two",
    type: "gauge",
    samples: [{ name: "x", labels: { a: "1" }, value: Infinity }, {
      name: "x",
      labels: { a: "2" },
      value: Number.NaN,
    }],
  }]);
  assert.match(text, /^# HELP x line one\\nline two$/m);
  assert.match(text, /^x\{a="1"\} \+Inf$/m);
  assert.match(text, /^x\{a="2"\} NaN$/m);
});

Deno.test("formatPrometheus() refuses names Prometheus would not parse", () => {
  assert.throws(() =>
    formatPrometheus([{
      name: "bad-name",
      help: "",
      type: "counter",
      samples: [],
    }])
  );
  assert.throws(() => labelText({ "bad-label": "x" }));
});
