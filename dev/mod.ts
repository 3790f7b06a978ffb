/**
 * The local stack as a library, for the tests and benchmarks that run one
 * of their own: the stand-ins on chosen or free ports, the bundled Worker
 * in workerd as `deno task dev` runs it (`dev.ts`), and the secrets it
 * generates.
 */
export { randomSecret, vapidKeyPair } from "./dev_vars.ts";
export { AddressInUse, startOnOfferedPort } from "./offered_port.ts";
export { DEMO_SEED, type StandIns, startStandIns } from "./stand_ins.ts";
export {
  readWranglerConfig,
  runScheduled,
  workerRuntimeOptions,
} from "./worker_runtime.ts";
