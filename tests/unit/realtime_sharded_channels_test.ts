import assert from "node:assert/strict";
import { createInProcessChannels } from "../../src/realtime/in_process_channels.ts";
import {
  shardBroadcasts,
  shardOf,
} from "../../src/realtime/sharded_channels.ts";

/** Users that land on distinct shards of `shards`. */
function usersOnDistinctShards(count: number, shards: number): string[] {
  const picked = new Map<number, string>();
  for (let i = 0; picked.size < count; i++) {
    const user = `member-${i}`;
    const shard = shardOf(user, shards);
    if (!picked.has(shard)) picked.set(shard, user);
  }
  return [...picked.values()];
}

async function firstEvent(res: Response, name: string): Promise<string> {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes(`event: ${name}`)) {
    const chunk = await reader.read();
    if (chunk.done) break;
    text += chunk.value;
  }
  await reader.cancel();
  return text;
}

Deno.test("shardOf() is stable and spreads users", () => {
  assert.equal(shardOf("ada", 8), shardOf("ada", 8));
  const used = new Set(
    Array.from({ length: 200 }, (_, i) => shardOf(`u${i}`, 8)),
  );
  assert.equal(used.size, 8);
});

Deno.test("a role with more live members than one channel holds still reaches them all", async () => {
  // One subscriber per channel: unsharded, the second member would get a 429.
  const inner = createInProcessChannels({ maxSubscribers: 1, retryMs: 0 });
  const channels = shardBroadcasts(inner, 4);
  try {
    const members = usersOnDistinctShards(3, 4);
    const streams = await Promise.all(
      members.map((user) =>
        channels.openStream({
          channels: [{ kind: "user", name: user }, {
            kind: "role",
            name: "ops",
          }],
          lastEventId: null,
          heartbeatMs: 60_000,
        })
      ),
    );
    assert.deepEqual(streams.map((s) => s.status), [200, 200, 200]);
    const published = await channels.publish({ kind: "role", name: "ops" }, {
      event: "notification",
      data: { id: "n1" },
      key: "n1",
    });
    assert.equal(published.delivered, 3);
    for (const stream of streams) {
      assert.match(await firstEvent(stream, "notification"), /"id":"n1"/);
    }
    const again = await channels.publish({ kind: "role", name: "ops" }, {
      event: "notification",
      data: { id: "n1" },
      key: "n1",
    });
    assert.equal(
      again.duplicate,
      true,
      "a retried broadcast sends nothing twice",
    );
  } finally {
    inner.close();
  }
});

Deno.test("user channels are never split", async () => {
  const inner = createInProcessChannels({ retryMs: 0 });
  const channels = shardBroadcasts(inner, 4);
  try {
    const stream = await channels.openStream({
      channels: [{ kind: "user", name: "ada" }],
      lastEventId: null,
      heartbeatMs: 60_000,
    });
    const names = (await inner.status()).channels.map((c) => c.name);
    assert.deepEqual(names, ["user:ada"]);
    await channels.publish({ kind: "user", name: "ada" }, {
      event: "count",
      data: { unread: 1 },
    });
    assert.match(await firstEvent(stream, "count"), /"unread":1/);
  } finally {
    inner.close();
  }
});
