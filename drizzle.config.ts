import { defineConfig } from "drizzle-kit";

// Migrations are generated here and committed; `deno task dev` applies them
// to the local libSQL server, `deno task db:migrate` to LIBSQL_URL.
export default defineConfig({
  dialect: "turso",
  schema: "./src/db/schema.ts",
  out: "./src/db/migrations",
  dbCredentials: {
    url: Deno.env.get("LIBSQL_URL") ?? "http://127.0.0.1:8081",
    authToken: Deno.env.get("LIBSQL_AUTH_TOKEN"),
  },
});
