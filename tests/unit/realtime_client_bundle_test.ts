import assert from "node:assert/strict";
import { buildBundle, BUNDLES } from "../../scripts/build_client.ts";
import { HERALD_CLIENT_JS } from "../../src/client/herald_client.bundle.ts";
import { HERALD_INBOX_JS } from "../../src/client/herald_inbox.bundle.ts";
import { HERALD_SW_JS } from "../../src/client/herald_sw.bundle.ts";

for (const bundle of BUNDLES) {
  const file = bundle.path.slice(bundle.path.lastIndexOf("/src/") + 1);
  Deno.test(`the committed ${file} is what build_client.ts makes today`, async () => {
    const fresh = await buildBundle(bundle);
    const committed = await Deno.readTextFile(bundle.path);
    assert.ok(
      fresh === committed,
      `${file} is stale: run \`deno run -A scripts/build_client.ts\``,
    );
  });
}

const dataUrl = (js: string) =>
  `data:text/javascript;base64,${
    btoa(String.fromCharCode(...new TextEncoder().encode(js)))
  }`;

Deno.test("the browser bundle is a self-contained ES module exporting HeraldClient", async () => {
  assert.doesNotMatch(HERALD_CLIENT_JS, /\bimport\s*[{("']/);
  const module: Record<string, unknown> = await import(
    dataUrl(HERALD_CLIENT_JS)
  );
  assert.deepEqual(typeof module.HeraldClient, "function");
});

Deno.test("the <herald-inbox> bundle is self-contained and defines the element", () => {
  assert.doesNotMatch(HERALD_INBOX_JS, /\bimport\s*[{("']/);
  assert.match(HERALD_INBOX_JS, /customElements\.define\("herald-inbox"/);
});

Deno.test("the service worker bundle is a classic script (importScripts can load it)", () => {
  assert.doesNotMatch(HERALD_SW_JS, /\bimport\s*[{("']|\bexport\s*[{*]/);
  // A classic script parses as a function body; a module would not.
  assert.doesNotThrow(() => new Function(HERALD_SW_JS));
});
