/**
 * An Upstash Redis stand-in: `startRedisRestProxy()` speaks Upstash's REST
 * protocol in front of a real `redis-server`, which `startRedisServer()`
 * runs (when `findRedisServer()` finds one installed).
 */
export { startRedisRestProxy } from "./proxy.ts";
export { findRedisServer, startRedisServer } from "./redis_server.ts";
