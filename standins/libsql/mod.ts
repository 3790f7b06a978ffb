/**
 * A libSQL stand-in: `startLibsqlDevServer()` serves sqld's Hrana-over-HTTP
 * protocol over a local libSQL file, for clients that can only reach
 * libSQL over HTTP (Workers, `@libsql/client/web`).
 */
export { startLibsqlDevServer } from "./server.ts";
