import { startInProcessStack } from "./support/in_process_stack.ts";
import assert from "node:assert/strict";
import { z } from "zod";
import { errorBody, read } from "../support/bodies.ts";

Deno.test("routes in process: cursors, jobs and the realtime status answer through their services", async (t) => {
  const stack = await startInProcessStack();
  try {
    await t.step(
      "an inbox cursor Herald did not issue is a 400 naming the cursor",
      async () => {
        const res = await stack.request(
          "/v1/users/ada/notifications?cursor=bm9wZQ",
        );
        assert.equal(res.status, 400);
        const { error } = await read(res, errorBody);
        assert.equal(error.code, "validation_failed");
        assert.deepEqual(error.fields?.map((f) => f.path), ["cursor"]);
      },
    );

    await t.step(
      "a scheduler status cursor Herald did not issue is a 400 naming the cursor",
      async () => {
        const res = await stack.request("/v1/scheduler/status?cursor=!!");
        assert.equal(res.status, 400);
        const { error } = await read(res, errorBody);
        assert.deepEqual(error.fields?.map((f) => f.path), ["cursor"]);
      },
    );

    await t.step("running a job that does not exist is a 404", async () => {
      const res = await stack.request("/v1/scheduler/jobs/nope/trigger", {
        method: "POST",
      });
      assert.equal(res.status, 404);
      assert.equal((await read(res, errorBody)).error.code, "not_found");
    });

    await t.step("a run the job does not have is a 404", async () => {
      const res = await stack.request("/v1/scheduler/jobs/nope/runs/run_x");
      assert.equal(res.status, 404);
      await res.body?.cancel();
    });

    await t.step("the realtime status counts the outbox", async () => {
      const res = await stack.request("/v1/realtime/status");
      assert.equal(res.status, 200);
      const body = z.object({
        pendingFanouts: z.number(),
        subscribers: z.number(),
      })
        .parse(await res.json());
      assert.deepEqual(body, { pendingFanouts: 0, subscribers: 0 });
    });
  } finally {
    await stack.close();
  }
});
