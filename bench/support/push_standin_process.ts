import { startPushServiceStandIn } from "@herald/standin-push";
import { untilStdinCloses } from "./child_process.ts";

/**
 * The Web Push stand-in alone, in a process of its own, so a benchmark can
 * tell its CPU (checking VAPID, decrypting) from the other stand-ins'.
 * Prints one JSON line, `{url}`, then runs until its stdin closes.
 */
const standIn = await startPushServiceStandIn({ port: 0 });
console.log(JSON.stringify({ url: standIn.url }));
await untilStdinCloses();
await standIn.close();
