import assert from "node:assert/strict";
import { advanceToNextRun } from "../support/placement.ts";
import { integrationSuite } from "../support/suite.ts";

/**
 * `GET /metrics` from the Worker: latency histograms by route pattern,
 * reconcile and QStash call durations and delivery lag, in a text format a
 * Prometheus parser accepts, with no user id anywhere.
 */
const suite = integrationSuite("Prometheus metrics");
const { test } = suite;

const USER = "metrics-ada@example.com";

interface Line {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A strict reading of the text format: anything else fails the test. */
function parse(text: string): Line[] {
  const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/;
  const label = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/gy;
  const lines: Line[] = [];
  for (const line of text.trimEnd().split("\n")) {
    if (/^# (HELP|TYPE) /.test(line)) continue;
    const match = sample.exec(line);
    assert.ok(match, `not a sample line: ${line}`);
    const [, name = "", , body = "", raw = ""] = match;
    const labels: Record<string, string> = {};
    label.lastIndex = 0;
    while (label.lastIndex < body.length) {
      const pair = label.exec(body);
      assert.ok(pair, `bad labels in: ${line}`);
      labels[pair[1] ?? ""] = pair[2] ?? "";
    }
    const value = raw === "+Inf" ? Infinity : Number(raw);
    assert.ok(!Number.isNaN(value), `bad value in: ${line}`);
    lines.push({ name, labels, value });
  }
  return lines;
}

async function scrape(): Promise<{ text: string; lines: Line[] }> {
  const res = await suite.stack.admin("/metrics");
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /version=0\.0\.4/);
  const text = await res.text();
  return { text, lines: parse(text) };
}

function find(lines: Line[], name: string, labels: Record<string, string>) {
  return lines.find((l) =>
    l.name === name &&
    Object.entries(labels).every(([k, v]) => l.labels[k] === v)
  );
}

test("request, reconcile, QStash and delivery histograms fill in as Herald works", async () => {
  const put = await suite.stack.admin(
    `/v1/users/${encodeURIComponent(USER)}/preferences`,
    {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        enabled: true,
        timezone: "UTC",
        types: { taskReminder: { enabled: true, times: ["09:00"] } },
      }),
    },
  );
  assert.equal(put.status, 200);
  await put.body?.cancel();
  await (await fetch(`${suite.stack.url}/nope`)).body?.cancel();
  await (await fetch(`${suite.stack.url}/v1/scheduler/status`)).body?.cancel();
  // QStash fires the user's slot at its next run.
  const { delivered } = await advanceToNextRun(suite.stack, USER);
  assert.ok(delivered.some((d) => d.status === 200));

  const { text, lines } = await scrape();
  const http = "herald_http_request_duration_seconds_count";
  assert.equal(
    find(lines, http, {
      method: "PUT",
      route: "/v1/users/:userId/preferences",
      status: "2xx",
    })?.value,
    1,
  );
  assert.equal(
    find(lines, http, { route: "unmatched", status: "4xx" })?.value,
    1,
  );
  assert.equal(
    find(lines, http, { route: "/v1/scheduler/status", status: "4xx" })?.value,
    1,
  );
  assert.ok(
    (find(lines, "herald_reconcile_duration_seconds_count", {
      outcome: "synced",
    })?.value ?? 0) >= 1,
  );
  assert.ok(
    (find(lines, "herald_qstash_call_duration_seconds_count", {
      call: "upsert",
      outcome: "ok",
    })?.value ?? 0) >= 1,
  );
  assert.equal(
    find(lines, "herald_delivery_lag_seconds_count", { stage: "published" })
      ?.value,
    1,
  );
  // Low cardinality: route patterns, never the user's id.
  assert.equal(text.includes("metrics-ada"), false);
});

test("every histogram series is cumulative and its +Inf bucket is its count", async () => {
  const { text, lines } = await scrape();
  const families = [...text.matchAll(/^# TYPE (\S+) histogram$/gm)]
    .map((m) => m[1] ?? "");
  assert.equal(families.length, 5);
  for (const family of families) {
    const series = new Map<string, number[]>();
    for (const line of lines.filter((l) => l.name === `${family}_bucket`)) {
      const { le: _, ...rest } = line.labels;
      const key = JSON.stringify(rest);
      series.set(key, [...(series.get(key) ?? []), line.value]);
    }
    for (const [key, buckets] of series) {
      const sorted = [...buckets].sort((a, b) => a - b);
      assert.deepEqual(buckets, sorted, `${family} ${key} is cumulative`);
      const count = lines.find((l) =>
        l.name === `${family}_count` &&
        JSON.stringify(l.labels) === key
      );
      assert.equal(count?.value, buckets.at(-1), `${family} ${key} +Inf`);
    }
  }
});

suite.run();
