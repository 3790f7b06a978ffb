import assert from "node:assert/strict";
import type { ChannelStatus } from "../../src/ports/channels.ts";
import { DirectoryReporter } from "../../src/realtime/directory_reporter.ts";
import { ManualClock } from "../support/manual_clock.ts";

function setup(opts: { failing?: boolean } = {}) {
  const clock = new ManualClock();
  const status: ChannelStatus = {
    name: "user:alice",
    subscribers: 0,
    logSize: 0,
    lastSeq: 0,
  };
  const sent: ChannelStatus[] = [];
  const reporter = new DirectoryReporter({
    snapshot: () => ({ ...status }),
    send: (s) => {
      sent.push(s);
      return opts.failing
        ? Promise.reject(new Error("down"))
        : Promise.resolve();
    },
    refreshMs: 10_000,
    subscribersDelayMs: 100,
    statsDelayMs: 1000,
    clock,
  });
  return { clock, status, sent, reporter };
}

Deno.test("a burst of subscriber changes becomes one report of the latest state", async () => {
  const { clock, status, sent, reporter } = setup();
  for (let n = 1; n <= 50; n++) {
    status.subscribers = n;
    reporter.subscribersChanged();
  }
  await clock.advance(100);
  assert.deepEqual(sent.map((s) => s.subscribers), [50]);
});

Deno.test("publishes report later, and only while the channel has subscribers", async () => {
  const { clock, status, sent, reporter } = setup();
  reporter.published(0);
  await clock.advance(5000);
  assert.deepEqual(sent.length, 0);
  status.subscribers = 1;
  status.lastSeq = 9;
  reporter.published(1);
  await clock.advance(999);
  assert.deepEqual(sent.length, 0);
  await clock.advance(1);
  assert.deepEqual(sent.map((s) => s.lastSeq), [9]);
});

Deno.test("a subscriber change pulls a pending stats report forward", async () => {
  const { clock, status, sent, reporter } = setup();
  status.subscribers = 1;
  reporter.published(1);
  reporter.subscribersChanged();
  await clock.advance(100);
  assert.deepEqual(sent.length, 1);
});

Deno.test("a live channel re-reports every refresh; an empty one goes quiet", async () => {
  const { clock, status, sent, reporter } = setup();
  status.subscribers = 2;
  reporter.subscribersChanged();
  await clock.advance(100 + 3 * 10_000);
  assert.deepEqual(sent.length, 4);
  status.subscribers = 0;
  reporter.subscribersChanged();
  await clock.advance(100);
  assert.deepEqual(sent.at(-1)?.subscribers, 0);
  assert.deepEqual(clock.pending, 0);
});

Deno.test("a failed report is repaired by the next refresh, not retried in a loop", async () => {
  const { clock, status, sent, reporter } = setup({ failing: true });
  status.subscribers = 1;
  reporter.subscribersChanged();
  await clock.advance(100);
  assert.deepEqual(sent.length, 1);
  await clock.advance(9_999);
  assert.deepEqual(sent.length, 1);
  await clock.advance(1);
  assert.deepEqual(sent.length, 2);
});
