import assert from "node:assert/strict";
import { Channel } from "../../src/realtime/channel.ts";
import {
  decodeCursor,
  formatPart,
  joinCursor,
} from "../../src/realtime/cursor.ts";
import { MemoryReplayLog } from "../../src/realtime/replay_log.ts";
import { mergeChannelStreams } from "../../src/realtime/stream_merge.ts";
import { flush, ManualClock } from "../support/manual_clock.ts";
import { collect } from "../support/stream_collector.ts";

const USER = "UserEp01";
const ROLE = "RoleEp01";

function setup(maxBufferedBytes = 64 * 1024) {
  const clock = new ManualClock();
  const user = new Channel("user:alice", new MemoryReplayLog(USER), { clock });
  const role = new Channel("role:admin", new MemoryReplayLog(ROLE), { clock });
  const connect = async (cursor: string | null = null) => {
    const upstreams = [user, role].map((ch) => {
      const result = ch.subscribe({
        cursor,
        heartbeatMs: 100,
        retryMs: 1500,
        maxSubscribers: 10,
        maxBufferedBytes,
      });
      if (!result.ok) throw new Error("full");
      return { name: ch.name, body: result.stream };
    });
    const merged = await mergeChannelStreams(upstreams, {
      retryMs: 1500,
      heartbeatMs: 100,
      maxBufferedBytes,
      clock,
    });
    return merged;
  };
  return {
    clock,
    user,
    role,
    connect: async (cursor: string | null = null) =>
      collect(await connect(cursor)),
    connectRaw: connect,
  };
}

const note = (id: string) => ({
  event: "notification",
  dataJson: JSON.stringify({ id }),
  key: null,
});
const cursor = (userSeq: number, roleSeq: number) =>
  joinCursor([
    formatPart({ epoch: USER, seq: userSeq }),
    formatPart({ epoch: ROLE, seq: roleSeq }),
  ]);

Deno.test("a merged stream opens with one retry and one connected for all its channels", async () => {
  const { user, connect } = setup();
  user.publish(note("u1"), 100);
  const reader = await connect();
  await flush();
  assert.deepEqual(
    reader.text(),
    "retry: 1500\n\nevent: connected\n" +
      'data: {"channels":["user:alice","role:admin"]}\n' +
      `id: ${cursor(1, 0)}\n\n`,
  );
  await reader.cancel();
});

Deno.test("each merged event carries every channel's position", async () => {
  const { user, role, connect } = setup();
  const reader = await connect();
  user.publish(note("u1"), 100);
  role.publish(note("r1"), 100);
  user.publish(note("u2"), 100);
  await flush();
  assert.deepEqual(reader.ids(), [
    cursor(0, 0),
    cursor(1, 0),
    cursor(1, 1),
    cursor(2, 1),
  ]);
  assert.deepEqual(reader.data("notification"), [
    { id: "u1" },
    { id: "r1" },
    { id: "u2" },
  ]);
  await reader.cancel();
});

Deno.test("resuming a merged stream replays what each channel missed", async () => {
  const { user, role, connect } = setup();
  user.publish(note("u1"), 100);
  role.publish(note("r1"), 100);
  user.publish(note("u2"), 100);
  role.publish(note("r2"), 100);
  const reader = await connect(cursor(1, 1));
  await flush();
  // Channels interleave freely; within each, order holds.
  assert.deepEqual(
    reader.data("notification").map((d) => JSON.stringify(d)).sort(),
    ['{"id":"r2"}', '{"id":"u2"}'],
  );
  assert.deepEqual(reader.ids().at(-1), cursor(2, 2));
  await reader.cancel();
});

Deno.test("a channel awaiting a reset has no part in the ids until the reset", async () => {
  const { user, role, connect } = setup();
  role.publish(note("r1"), 100);
  // A cursor that knows the user channel only: the role channel resets.
  const known = joinCursor([formatPart({ epoch: USER, seq: 0 })]);
  const reader = await connect(known);
  await flush();
  const [connected, reset] = reader.ids();
  assert.deepEqual(connected, known);
  assert.deepEqual(reader.data("reset"), [{ channel: "role:admin" }]);
  assert.deepEqual(reset, cursor(0, 1));
  user.publish(note("u1"), 100);
  await flush();
  assert.deepEqual(reader.ids().at(-1), cursor(1, 1));
  await reader.cancel();
});

Deno.test("cancelling the merged stream removes the subscriber from every channel", async () => {
  const { user, role, clock, connect } = setup();
  const reader = await connect();
  assert.deepEqual([user.subscribers, role.subscribers], [1, 1]);
  await reader.cancel();
  await flush();
  assert.deepEqual([user.subscribers, role.subscribers], [0, 0]);
  assert.deepEqual(clock.pending, 0);
});

Deno.test("when one channel stream ends, the merged stream ends and leaves the other", async () => {
  const { user, role, clock, connect } = setup();
  const reader = await connect();
  user.close();
  assert.deepEqual(await reader.ended, "closed");
  await flush();
  assert.deepEqual(role.subscribers, 0);
  assert.deepEqual(clock.pending, 0);
});

Deno.test("the merged stream beats on its own and drops the channels' beats", async () => {
  const { clock, connect } = setup();
  const reader = await connect();
  await clock.advance(300);
  const beats = reader.text().split(": hb\n\n").length - 1;
  assert.deepEqual(beats, 3);
  for (const id of reader.ids()) assert.deepEqual(decodeCursor(id)?.length, 2);
  await reader.cancel();
});

Deno.test("a replay larger than the reader's allowance still goes out whole", async () => {
  const { user, connect } = setup(256);
  for (let n = 1; n <= 50; n++) user.publish(note(`u${n}`), 100);
  const reader = await connect(cursor(0, 0));
  await flush();
  assert.deepEqual(reader.data("notification").length, 50);
  await reader.cancel();
});

Deno.test("a merged reader that stops reading backs up into the channel, which drops it", async () => {
  const { user, role, connectRaw } = setup(256);
  const merged = await connectRaw();
  const reader = merged.getReader();
  await reader.read(); // the opening chunk, then nothing more
  for (let n = 1; n <= 20; n++) {
    user.publish(note(`u${n}`), 100);
    await flush();
  }
  // The merge stopped reading at the first unread event, so the user
  // channel's queue for this connection overflowed and ended it all.
  assert.deepEqual(user.subscribers, 0);
  await flush();
  assert.deepEqual(role.subscribers, 0);
  await reader.cancel().catch(() => {});
});
