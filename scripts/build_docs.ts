import { ASSETS_DIR } from "../src/static_assets.ts";

/**
 * Copies Scalar's standalone browser bundle (the `@scalar/api-reference`
 * package) to `dist/assets/docs/scalar.js`, where `/docs` loads it from:
 * Workers Static Assets serve it outside the Worker bundle (wrangler.toml
 * `[assets]`), the Deno entry from the same directory. Nothing is fetched
 * from a CDN, so the docs page works offline. `deno task build` and
 * `deno task dev` run this first.
 */

/** The package's entry is `dist/index.js`; its browser builds sit beside it. */
function standaloneBundle(): URL {
  return new URL(
    "./browser/standalone.js",
    import.meta.resolve("@scalar/api-reference"),
  );
}

if (import.meta.main) {
  const target = `${ASSETS_DIR}docs/scalar.js`;
  await Deno.mkdir(`${ASSETS_DIR}docs`, { recursive: true });
  await Deno.copyFile(standaloneBundle(), target);
  console.log(`Copied Scalar's standalone bundle to ${target}`);
}
