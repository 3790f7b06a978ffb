import { z } from "zod";
import { untilStdinCloses } from "./child_process.ts";
import { startCreateFloor } from "./create_floor.ts";

/**
 * The create floor (create_floor.ts) in a process of its own, as Herald's
 * Worker runs in stack_process.ts, reaching the stand-ins whose env is its
 * first argument (JSON). Prints one JSON line, its URL, then runs until its
 * stdin closes.
 */
const env = z.record(z.string(), z.string()).parse(JSON.parse(Deno.args[0]!));
const floor = await startCreateFloor(env);
console.log(JSON.stringify({ url: floor.url }));
await untilStdinCloses();
await floor.close();
