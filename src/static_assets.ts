import { fileURLToPath } from "node:url";

/**
 * Where the static assets are built (`dist/assets/`): Workers Static Assets
 * serve them outside the Worker bundle (wrangler.toml `[assets]`), the Deno
 * entry from this directory. The docs build writes Scalar's script here.
 */
export const ASSETS_DIR = fileURLToPath(
  new URL("../dist/assets/", import.meta.url),
);
