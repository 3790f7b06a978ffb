import * as esbuild from "esbuild";
import { fileURLToPath } from "node:url";

/**
 * Builds the browser package from `src/client/` into `dist/package/`,
 * ready for `npm publish dist/package`: ES modules (shared code split into
 * chunks, so the client is loaded once whichever entries an app imports),
 * type declarations from TypeScript, and an `exports` map —
 *
 * - `@herald/client` — HeraldClient and InboxStore (no DOM at import);
 * - `@herald/client/element` — defines `<herald-inbox>` (browser only);
 * - `@herald/client/react` — the provider and hooks (`react` is a peer).
 *
 * Run: `deno task package`.
 */
export const PACKAGE_NAME = "@herald/client";
export const PACKAGE_VERSION = "0.1.0";

const root = (path: string) =>
  fileURLToPath(new URL(`../${path}`, import.meta.url));
const OUT = root("dist/package/");

const ENTRIES = {
  index: "src/client/mod.ts",
  element: "src/client/herald_inbox.ts",
  react: "src/client/react/herald_react.ts",
} as const;

/** `dist/…` for an entry's code, `types/…` for its declarations. */
function exportsMap(): Record<string, { types: string; import: string }> {
  const map: Record<string, { types: string; import: string }> = {};
  for (const [name, source] of Object.entries(ENTRIES)) {
    const key = name === "index" ? "." : `./${name}`;
    map[key] = {
      types: `./types/${
        source.replace(/^src\/client\//, "").replace(/\.ts$/, ".d.ts")
      }`,
      import: `./dist/${name}.js`,
    };
  }
  return map;
}

export function packageJson(): Record<string, unknown> {
  return {
    name: PACKAGE_NAME,
    version: PACKAGE_VERSION,
    description:
      "Herald in the browser: the live stream client, <herald-inbox> and React hooks",
    type: "module",
    sideEffects: ["./dist/element.js"],
    exports: exportsMap(),
    files: ["dist", "types", "README.md"],
    peerDependencies: { react: ">=18" },
    peerDependenciesMeta: { react: { optional: true } },
    license: "MIT",
  };
}

async function bundle(out: string): Promise<void> {
  try {
    await esbuild.build({
      entryPoints: Object.fromEntries(
        Object.entries(ENTRIES).map(([name, path]) => [name, root(path)]),
      ),
      outdir: `${out}dist`,
      bundle: true,
      splitting: true,
      format: "esm",
      platform: "browser",
      target: "es2022",
      external: ["react"],
      legalComments: "none",
    });
  } finally {
    await esbuild.stop();
  }
}

/**
 * TypeScript's compiler (pinned) with the settings of a browser app using
 * a bundler: how the declarations are made and how a consumer checks them.
 */
export const TSC: readonly string[] = [
  "npm:typescript@5.9.3/tsc",
  "--strict",
  "--target",
  "es2022",
  "--module",
  "esnext",
  "--moduleResolution",
  "bundler",
  "--lib",
  "es2022,dom,dom.iterable",
];

async function declarations(out: string): Promise<void> {
  const tsc = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      ...TSC,
      "--declaration",
      "--emitDeclarationOnly",
      "--allowImportingTsExtensions",
      "--rewriteRelativeImportExtensions",
      "--skipLibCheck",
      "--types",
      "react",
      "--rootDir",
      root("src/client"),
      "--outDir",
      `${out}types`,
      ...Object.values(ENTRIES).map(root),
    ],
    cwd: root(""),
  });
  const { code } = await tsc.spawn().status;
  if (code !== 0) throw new Error(`tsc exited with ${code}`);
  // The sources import "./x.ts"; published declarations name "./x.js",
  // which every consumer's TypeScript resolves to "./x.d.ts".
  for await (const path of declarationFiles(`${out}types`)) {
    const text = await Deno.readTextFile(path);
    await Deno.writeTextFile(
      path,
      text.replace(/(["'])(\.{1,2}\/[^"']+)\.ts\1/g, "$1$2.js$1"),
    );
  }
}

async function* declarationFiles(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) yield* declarationFiles(path);
    else if (entry.name.endsWith(".d.ts")) yield path;
  }
}

const README = `# ${PACKAGE_NAME}

Herald in the browser. See Herald's README, "The bell in your page":

\`\`\`js
import "${PACKAGE_NAME}/element"; // defines <herald-inbox url=… token=…>
import { HeraldInboxProvider, useHeraldInbox, useUnreadCount } from "${PACKAGE_NAME}/react";
import { HeraldClient, InboxStore } from "${PACKAGE_NAME}";
\`\`\`
`;

/** The whole package into `out` (a directory path ending in "/"). */
export async function buildPackage(out: string): Promise<void> {
  await Deno.remove(out, { recursive: true }).catch(() => {});
  await Deno.mkdir(out, { recursive: true });
  await bundle(out);
  await declarations(out);
  await Deno.writeTextFile(
    `${out}package.json`,
    `${JSON.stringify(packageJson(), null, 2)}\n`,
  );
  await Deno.writeTextFile(`${out}README.md`, README);
}

if (import.meta.main) {
  await buildPackage(OUT);
  console.log(`Wrote ${PACKAGE_NAME}@${PACKAGE_VERSION} to ${OUT}`);
}
