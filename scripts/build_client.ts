import { fileURLToPath } from "node:url";
import { buildBrowserBundle } from "./browser_bundle.ts";

/**
 * Bundles the browser client (`herald_client.ts` and its pure helpers) into
 * `HERALD_CLIENT_JS` in `herald_client.bundle.ts`, which the Worker serves
 * as JavaScript. The bundle is committed;
 * `tests/unit/realtime_client_bundle_test.ts` fails when it is stale. Run:
 * `deno run -A scripts/build_client.ts`.
 */
const ENTRY = fileURLToPath(
  new URL("../src/client/herald_client.ts", import.meta.url),
);
export const BUNDLE_PATH = fileURLToPath(
  new URL("../src/client/herald_client.bundle.ts", import.meta.url),
);

/** The full text of `herald_client.bundle.ts`, built in memory. */
export function buildClientBundle(): Promise<string> {
  return buildBrowserBundle({
    entry: ENTRY,
    source: "src/client/herald_client.ts",
    script: "scripts/build_client.ts",
    exportName: "HERALD_CLIENT_JS",
    doc: "The browser client as one ES module, served by the Worker as JS.",
  });
}

if (import.meta.main) {
  await Deno.writeTextFile(BUNDLE_PATH, await buildClientBundle());
  console.log(`Wrote ${BUNDLE_PATH}`);
}
