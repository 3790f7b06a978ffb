import assert from "node:assert/strict";
import { MemoryReplayLog } from "../../src/realtime/replay_log.ts";

function filled(count: number, capacity: number) {
  const log = new MemoryReplayLog("Epoch_01");
  for (let seq = 1; seq <= count; seq++) {
    log.append({ seq, key: `k${seq}`, body: `b${seq}` }, capacity);
  }
  return log;
}

const seqs = (events: Iterable<{ seq: number }>) =>
  [...events].map((e) => e.seq);

Deno.test("an empty log has bounds 1..0 and nothing after 0", () => {
  const log = new MemoryReplayLog("Epoch_01");
  assert.deepEqual(log.bounds(), { firstSeq: 1, lastSeq: 0 });
  assert.deepEqual(log.size(), 0);
  assert.deepEqual(seqs(log.after(0)), []);
});

Deno.test("the log keeps only the last `capacity` events", () => {
  const log = filled(25, 10);
  assert.deepEqual(log.bounds(), { firstSeq: 16, lastSeq: 25 });
  assert.deepEqual(log.size(), 10);
  assert.deepEqual(seqs(log.after(0)), [
    16,
    17,
    18,
    19,
    20,
    21,
    22,
    23,
    24,
    25,
  ]);
  assert.deepEqual(seqs(log.after(22)), [23, 24, 25]);
  assert.deepEqual(seqs(log.after(25)), []);
});

Deno.test("keys are found while their event is logged and forgotten after", () => {
  const log = filled(25, 10);
  assert.deepEqual(log.seqOfKey("k20"), 20);
  assert.deepEqual(log.seqOfKey("k15"), null);
  assert.deepEqual(log.seqOfKey("nope"), null);
});

Deno.test("a long-running log stays correct across its compactions", () => {
  const log = filled(1000, 7);
  assert.deepEqual(log.bounds(), { firstSeq: 994, lastSeq: 1000 });
  assert.deepEqual(seqs(log.after(996)), [997, 998, 999, 1000]);
  assert.deepEqual(log.seqOfKey("k994"), 994);
});
