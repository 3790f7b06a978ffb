import assert from "node:assert/strict";
import {
  buildConsoleBundle,
  CONSOLE_BUNDLE_PATH,
} from "../../scripts/build_console.ts";
import { CONSOLE_JS } from "../../src/console/console.bundle.ts";

Deno.test("the committed console bundle is what build_console.ts makes from src/console/app today", async () => {
  const fresh = await buildConsoleBundle();
  const committed = await Deno.readTextFile(CONSOLE_BUNDLE_PATH);
  assert.ok(
    fresh === committed,
    "src/console/console.bundle.ts is stale: run `deno run -A scripts/build_console.ts`",
  );
});

Deno.test("the console bundle is self-contained: it imports nothing, from nowhere", () => {
  assert.doesNotMatch(CONSOLE_JS, /\bimport\s*[{("'*]/);
  assert.doesNotMatch(CONSOLE_JS, /https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
});
