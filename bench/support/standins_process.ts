import { startScratchStandIns } from "../../tests/support/scratch_stand_ins.ts";
import { untilStdinCloses } from "./child_process.ts";

/**
 * The stand-ins (libSQL, QStash, Redis) in a process of their own, as
 * `deno task dev` runs them beside the Worker's process: in-memory QStash, fresh
 * state. Prints one JSON line, the env a Worker needs to reach them, then
 * runs until its stdin closes.
 */
const standIns = await startScratchStandIns();
console.log(JSON.stringify(standIns.env));
await untilStdinCloses();
await standIns.close();
