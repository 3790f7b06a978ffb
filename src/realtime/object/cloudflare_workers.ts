/**
 * `cloudflare:workers` for `deno check` only: deno.json maps the specifier
 * here so the Durable Object shells type-check against
 * @cloudflare/workers-types. workerd provides the real module, and wrangler
 * (and the test bundles) leave the import to it; nothing that runs on Deno
 * imports a shell, so these declarations never execute.
 */
import type { CloudflareWorkersModule } from "@cloudflare/workers-types";

export declare const DurableObject:
  typeof CloudflareWorkersModule.DurableObject;
export type DurableObject<Env = unknown> =
  CloudflareWorkersModule.DurableObject<Env>;
