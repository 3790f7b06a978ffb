import { startScratchStandIns } from "../../tests/support/scratch_stand_ins.ts";
import { untilStdinCloses } from "./child_process.ts";

/**
 * The stand-ins (libSQL, QStash, Redis, Web Push) in a process of their
 * own, as `deno task dev` runs them beside the Worker's process: in-memory
 * QStash, fresh state. Prints one JSON line, `{env, pushUrl}` (the env a
 * Worker needs to reach them, and the push stand-in's origin), then runs
 * until its stdin closes.
 */
const standIns = await startScratchStandIns();
console.log(JSON.stringify({ env: standIns.env, pushUrl: standIns.pushUrl }));
await untilStdinCloses();
await standIns.close();
