import assert from "node:assert/strict";
import {
  buildClientBundle,
  buildInboxBundle,
  BUNDLE_PATH,
  INBOX_BUNDLE_PATH,
} from "../../scripts/build_client.ts";
import { HERALD_CLIENT_JS } from "../../src/client/herald_client.bundle.ts";
import { HERALD_INBOX_JS } from "../../src/client/herald_inbox.bundle.ts";

Deno.test("the committed browser bundle is what build.ts makes from the client today", async () => {
  const fresh = await buildClientBundle();
  const committed = await Deno.readTextFile(BUNDLE_PATH);
  assert.ok(
    fresh === committed,
    "src/client/herald_client.bundle.ts is stale: run `deno run -A scripts/build_client.ts`",
  );
});

Deno.test("the browser bundle is a self-contained ES module exporting HeraldClient", async () => {
  assert.doesNotMatch(HERALD_CLIENT_JS, /\bimport\s*[{("']/);
  const url = `data:text/javascript;base64,${
    btoa(String.fromCharCode(...new TextEncoder().encode(HERALD_CLIENT_JS)))
  }`;
  const module: Record<string, unknown> = await import(url);
  assert.deepEqual(typeof module.HeraldClient, "function");
});

Deno.test("the committed <herald-inbox> bundle is fresh and self-contained", async () => {
  const fresh = await buildInboxBundle();
  const committed = await Deno.readTextFile(INBOX_BUNDLE_PATH);
  assert.ok(
    fresh === committed,
    "src/client/herald_inbox.bundle.ts is stale: run `deno run -A scripts/build_client.ts`",
  );
  assert.doesNotMatch(HERALD_INBOX_JS, /\bimport\s*[{("']/);
  assert.match(HERALD_INBOX_JS, /customElements\.define\("herald-inbox"/);
});
