import { fileURLToPath } from "node:url";
import { buildBrowserBundle } from "./browser_bundle.ts";

/**
 * Bundles the operator console's script (`src/console/app/`) into
 * `CONSOLE_JS` in `src/console/console.bundle.ts`, which the Worker serves
 * at `/console/app.js`. Committed like the browser client's;
 * `tests/unit/console_bundle_test.ts` fails when it is stale. Run:
 * `deno run -A scripts/build_console.ts`.
 */
const ENTRY = fileURLToPath(
  new URL("../src/console/app/main.ts", import.meta.url),
);
export const CONSOLE_BUNDLE_PATH = fileURLToPath(
  new URL("../src/console/console.bundle.ts", import.meta.url),
);

/** The full text of `console.bundle.ts`, built in memory. */
export function buildConsoleBundle(): Promise<string> {
  return buildBrowserBundle({
    entry: ENTRY,
    source: "src/console/app/main.ts",
    script: "scripts/build_console.ts",
    exportName: "CONSOLE_JS",
    doc: "The operator console's script as one ES module.",
  });
}

if (import.meta.main) {
  await Deno.writeTextFile(CONSOLE_BUNDLE_PATH, await buildConsoleBundle());
  console.log(`Wrote ${CONSOLE_BUNDLE_PATH}`);
}
