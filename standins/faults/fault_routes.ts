import { Hono } from "hono";
import { z } from "zod";
import type { FaultControl } from "./fault_controls.ts";

/**
 * The dev controls of a stand-in's faults over HTTP, for `deno task dev`
 * users and benchmarks in another process (tests may use the in-process
 * `FaultControl` instead). Mounted by each stand-in behind its own auth:
 * - `GET <path>` → `{fail, delay, down, downUntil}`;
 * - `POST <path>` with any of `{"fail": 0.3}` (share of calls answered with
 *   the service's server error), `{"delay": 200}` (ms added to each call),
 *   `{"down": 10000}` (gone for that long, then back by itself) → the new
 *   status; fields left out keep their value;
 * - `DELETE <path>` → no faults, back up now.
 * An outage asked for over HTTP always has an end: while the stand-in is
 * down, nothing (this route included) answers on its port.
 */
const MAX_DELAY_MS = 60_000;
const MAX_DOWN_MS = 3_600_000;

const faultBody = z.object({
  fail: z.number().min(0).max(1).optional(),
  delay: z.number().int().min(0).max(MAX_DELAY_MS).optional(),
  down: z.number().int().min(1).max(MAX_DOWN_MS).optional(),
}).strict();

export function faultRoutes(path: string, faults: FaultControl): Hono {
  const app = new Hono();
  app.get(path, (c) => c.json(faults.status()));
  app.post(path, async (c) => {
    let json: unknown;
    try {
      json = JSON.parse(await c.req.text());
    } catch {
      return c.json({ error: "the body must be JSON" }, 400);
    }
    const parsed = faultBody.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue?.path.join(".") || "body";
      return c.json({ error: `${where}: ${issue?.message ?? "invalid"}` }, 400);
    }
    const { fail, delay, down } = parsed.data;
    faults.set({
      ...(fail === undefined ? {} : { fail }),
      ...(delay === undefined ? {} : { delay }),
    });
    if (down === undefined) return c.json(faults.status());
    // Going down waits for the requests in flight, this one included: the
    // outage starts once this answer is on its way.
    faults.down(down).catch((error) =>
      console.error(`could not take the stand-in down: ${error}`)
    );
    return c.json({ ...faults.status(), down: true });
  });
  app.delete(path, async (c) => {
    await faults.clear();
    return c.json(faults.status());
  });
  return app;
}
