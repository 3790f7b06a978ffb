import assert from "node:assert/strict";
import { Faults } from "./fault_controls.ts";

const info: Deno.ServeHandlerInfo<Deno.NetAddr> = {
  remoteAddr: { transport: "tcp", hostname: "127.0.0.1", port: 1 },
  completed: Promise.resolve(),
};

function faultsWith(draws: number[]) {
  return new Faults({
    name: "test",
    failure: () => new Response("server error", { status: 500 }),
    exempt: (path) => path.startsWith("/dev/"),
    random: () => draws.shift() ?? 1,
  });
}

const ok = () => new Response("ok");
const call = async (
  handler: Deno.ServeHandler<Deno.NetAddr>,
  path = "/v2/pipeline",
) =>
  (await handler(
    new Request(`http://x${path}`, { method: "POST", body: "{}" }),
    info,
  )).status;

Deno.test("Faults.wrap() passes every call through while no fault is set", async () => {
  const faults = faultsWith([0, 0, 0]);
  const handler = faults.wrap(ok);
  assert.deepEqual(
    [await call(handler), await call(handler), await call(handler)],
    [200, 200, 200],
  );
});

Deno.test("Faults.wrap() fails exactly the calls whose draw falls under the share", async () => {
  const faults = faultsWith([0.1, 0.5, 0.29, 0.3]);
  faults.set({ fail: 0.3 });
  const handler = faults.wrap(ok);
  const statuses = [];
  for (let i = 0; i < 4; i++) statuses.push(await call(handler));
  assert.deepEqual(statuses, [500, 200, 500, 200]);
});

Deno.test("Faults.wrap() leaves the dev controls alone, so a fault can be undone", async () => {
  const faults = faultsWith([0, 0]);
  faults.set({ fail: 1 });
  const handler = faults.wrap(ok);
  assert.equal(await call(handler, "/dev/faults"), 200);
  assert.equal(await call(handler), 500);
});

Deno.test("Faults.set() refuses a share outside 0–1 and a negative delay, keeping what was set", () => {
  const faults = faultsWith([]);
  faults.set({ fail: 0.5, delay: 10 });
  assert.throws(() => faults.set({ fail: 1.5 }), RangeError);
  assert.throws(() => faults.set({ delay: -1 }), RangeError);
  assert.throws(() => faults.set({ fail: Number.NaN }), RangeError);
  const { fail, delay, down } = faults.status();
  assert.deepEqual({ fail, delay, down }, {
    fail: 0.5,
    delay: 10,
    down: false,
  });
});
