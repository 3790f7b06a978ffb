import assert from "node:assert/strict";
import {
  audienceOfTag,
  MAX_TAGS,
  tagsFor,
} from "../../src/realtime/core/connection_tags.ts";

Deno.test("tagsFor() tags the transport and each audience while they fit", () => {
  assert.deepEqual(tagsFor("sse", ["user:a", "role:r"]), {
    tags: ["sse", "sse|user:a", "sse|role:r"],
    overflow: null,
  });
  const nine = ["user:a", ...Array.from({ length: 8 }, (_, i) => `role:${i}`)];
  const { tags, overflow } = tagsFor("websocket", nine);
  assert.deepEqual(tags.length, MAX_TAGS);
  assert.deepEqual(overflow, null);
});

Deno.test("tagsFor() keeps the user's tag and lists the rest in the attachment past the limit", () => {
  const many = ["user:a", ...Array.from({ length: 9 }, (_, i) => `role:${i}`)];
  const { tags, overflow } = tagsFor("websocket", many);
  assert.deepEqual(tags, ["ws", "ws|user:a", "ws|*"]);
  assert.deepEqual(overflow, many.slice(1));
});

Deno.test("audienceOfTag() reads audiences back and skips the other tags", () => {
  assert.deepEqual(audienceOfTag("sse|role:a|b"), "role:a|b");
  assert.deepEqual(audienceOfTag("ws"), null);
  assert.deepEqual(audienceOfTag("ws|*"), null);
});

Deno.test("tagsFor() lists an audience whose tag outgrows 256 UTF-8 bytes in the attachment, the user's own too", () => {
  const wideUser = `user:${"é".repeat(124)}`;
  const wideRole = `role:${"通知".repeat(45)}`;
  assert.deepEqual(tagsFor("sse", [wideUser, "role:r"]), {
    tags: ["sse", "sse|*"],
    overflow: [wideUser, "role:r"],
  });
  assert.deepEqual(tagsFor("websocket", ["user:a", wideRole]), {
    tags: ["ws", "ws|user:a", "ws|*"],
    overflow: [wideRole],
  });
});
