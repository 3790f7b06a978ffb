import * as esbuild from "esbuild";
import { gzipSync } from "node:zlib";
import { fileURLToPath } from "node:url";
import { report } from "./stats.ts";

/**
 * The size of a drop-in feed, minified and gzipped (level 9), each
 * bundled the same way by esbuild (ESM, es2022, minified, React and React
 * DOM left out: the host app has them): `<herald-inbox>` from
 * `src/client/herald_inbox.ts`, and, when BENCH_PEERS_DIR names a folder
 * where `npm i @knocklabs/react @novu/react react react-dom` was run,
 * Knock's feed components (KnockProvider, KnockFeedProvider,
 * NotificationIconButton, NotificationFeedPopover, plus their stylesheet)
 * and Novu's `<Inbox />`. Not part of `deno task bench` (it needs those
 * packages installed by hand). Run: `deno run -A bench/bundle_size.ts`.
 */
const PEERS = Deno.env.get("BENCH_PEERS_DIR");

async function size(entry: string): Promise<{ min: number; gzip: number }> {
  const result = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: "esm",
    platform: "browser",
    target: "es2022",
    minify: true,
    legalComments: "none",
    external: ["react", "react-dom", "react/jsx-runtime"],
    loader: { ".css": "text" },
  });
  const bytes = result.outputFiles[0]?.contents ?? new Uint8Array();
  return { min: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
}

const figures: Record<string, { min: number; gzip: number }> = {};
try {
  figures["herald-inbox"] = await size(
    fileURLToPath(new URL("../src/client/herald_inbox.ts", import.meta.url)),
  );
  if (PEERS) {
    const peers = {
      "@knocklabs/react feed":
        'export { KnockProvider, KnockFeedProvider, NotificationIconButton, NotificationFeedPopover } from "@knocklabs/react";',
      "@novu/react Inbox": 'export { Inbox } from "@novu/react";',
    };
    for (const [name, source] of Object.entries(peers)) {
      const entry = `${PEERS}/bench-${name.replace(/\W+/g, "_")}.js`;
      await Deno.writeTextFile(entry, source);
      figures[name] = await size(entry);
    }
    const css = await Deno.readFile(
      `${PEERS}/node_modules/@knocklabs/react/dist/index.css`,
    );
    figures["@knocklabs/react stylesheet"] = {
      min: css.length,
      gzip: gzipSync(css, { level: 9 }).length,
    };
  }
} finally {
  await esbuild.stop();
}
await report("bundle_size", figures);
