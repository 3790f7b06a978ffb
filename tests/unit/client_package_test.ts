import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import {
  buildPackage,
  PACKAGE_NAME,
  PACKAGE_VERSION,
  TSC,
} from "../../scripts/build_package.ts";

/**
 * `deno task package` makes a package an app can install: every target of
 * its exports map exists, the main entry loads where there is no DOM, and
 * a TypeScript app importing the three entries by the package's name
 * type-checks against the published declarations.
 */
const DIST = fileURLToPath(new URL("../../dist/", import.meta.url));

Deno.test({
  name:
    "the npm package has an exports map whose targets exist, loads without a DOM, and type-checks in a consumer",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    await Deno.mkdir(DIST, { recursive: true });
    // Under the repository, so the consumer finds @types/react above it.
    const dir = await Deno.makeTempDir({ dir: DIST, prefix: "package-" });
    try {
      const out = `${dir}/node_modules/${PACKAGE_NAME}/`;
      await buildPackage(out);
      const pkg: {
        name: string;
        version: string;
        type: string;
        exports: Record<string, { types: string; import: string }>;
        peerDependencies: Record<string, string>;
      } = JSON.parse(await Deno.readTextFile(`${out}package.json`));
      assert.deepEqual(
        [pkg.name, pkg.version, pkg.type],
        [PACKAGE_NAME, PACKAGE_VERSION, "module"],
      );
      assert.match(pkg.version, /^\d+\.\d+\.\d+$/);
      assert.deepEqual(Object.keys(pkg.exports), [".", "./element", "./react"]);
      assert.ok(pkg.peerDependencies.react);
      for (const target of Object.values(pkg.exports)) {
        for (const file of [target.types, target.import]) {
          await Deno.stat(`${out}${file}`);
        }
      }
      const main: Record<string, unknown> = await import(
        `file://${out}dist/index.js`
      );
      assert.equal(typeof main.HeraldClient, "function");
      assert.equal(typeof main.InboxStore, "function");

      await Deno.writeTextFile(
        `${dir}/app.ts`,
        [
          `import { HeraldClient, InboxStore, type InboxItem } from "${PACKAGE_NAME}";`,
          `import { HeraldInboxElement } from "${PACKAGE_NAME}/element";`,
          `import { HeraldInboxProvider, useHeraldInbox, useUnreadCount } from "${PACKAGE_NAME}/react";`,
          `const store = new InboxStore({ baseUrl: "/herald", getToken: async () => "t" });`,
          `const first: InboxItem | undefined = store.state.items[0];`,
          `const bell: HeraldInboxElement = document.createElement("herald-inbox");`,
          `bell.tokenProvider = async () => "t";`,
          `export const used = [HeraldClient, first, bell, HeraldInboxProvider, useHeraldInbox, useUnreadCount];`,
          "",
        ].join("\n"),
      );
      const tsc = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          ...TSC,
          "--noEmit",
          `${dir}/app.ts`,
        ],
        cwd: dir,
        stdout: "piped",
        stderr: "piped",
      }).output();
      const said = new TextDecoder().decode(tsc.stdout) +
        new TextDecoder().decode(tsc.stderr);
      assert.equal(tsc.code, 0, said);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
