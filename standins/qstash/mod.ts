/**
 * A QStash stand-in for Deno: `startQStashDevServer()` serves QStash's API
 * to the official `@upstash/qstash` Client, with QStash's published dev
 * credentials, and signs each delivery as QStash does (`signDelivery()`,
 * also for tests that forge a delivery of their own).
 */
export {
  DEV_QSTASH_CURRENT_SIGNING_KEY,
  DEV_QSTASH_NEXT_SIGNING_KEY,
  DEV_QSTASH_TOKEN,
} from "./credentials.ts";
export { signDelivery } from "./signature.ts";
export { startQStashDevServer } from "./server.ts";
