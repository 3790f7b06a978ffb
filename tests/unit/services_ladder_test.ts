// node:assert ships with Deno; @std/assert would have to come from JSR, which
// this project's machines cannot reach.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

/**
 * The service areas, bottom rung first (README, Architecture). A file may
 * import from its own area and from any area on a lower rung; never from an
 * area on its own rung or above, so no two areas import each other.
 */
const LADDER: readonly (readonly string[])[] = [
  ["outbox"],
  ["schedules", "webhooks"],
  ["preferences", "inbox"],
  ["push"],
  ["delivery"],
  ["jobs"],
  ["control"],
  ["catalogue"],
  ["callbacks", "ops"],
];

const SERVICES = fileURLToPath(
  new URL("../../src/services/", import.meta.url),
);

/** One import between two files of `src/services/`, as paths inside it. */
interface Arrow {
  from: string;
  to: string;
}

/** The relative specifiers a module's static, re-export and dynamic imports name. */
function importSpecifiers(source: string): string[] {
  const pattern = /(?:\bfrom|\bimport)\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g;
  return [...source.matchAll(pattern)].map((m) => m[1] ?? "");
}

/** `a/b/../c.ts` → `a/c.ts`; null when it climbs out of `src/services/`. */
function normalize(path: string): string | null {
  const parts: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (parts.pop() === undefined) return null;
    } else parts.push(part);
  }
  return parts.join("/");
}

/** Every arrow between two files of `src/services/`, read from the tree. */
async function servicesGraph(): Promise<Arrow[]> {
  const arrows: Arrow[] = [];
  const walk = async (dir: string) => {
    for await (const entry of Deno.readDir(`${SERVICES}${dir}`)) {
      const path = dir === "" ? entry.name : `${dir}/${entry.name}`;
      if (entry.isDirectory) await walk(path);
      else if (entry.name.endsWith(".ts")) {
        const source = await Deno.readTextFile(`${SERVICES}${path}`);
        for (const spec of importSpecifiers(source)) {
          const to = normalize(`${dir}/${spec}`);
          if (to !== null) arrows.push({ from: path, to });
        }
      }
    }
  };
  await walk("");
  return arrows;
}

function areaOf(path: string): string {
  return path.split("/")[0] ?? "";
}

function rungOf(
  ladder: readonly (readonly string[])[],
  area: string,
): number {
  return ladder.findIndex((rung) => rung.includes(area));
}

/** The arrows that go sideways or up the ladder (or into an unknown area). */
function climbing(
  ladder: readonly (readonly string[])[],
  arrows: readonly Arrow[],
): Arrow[] {
  return arrows.filter(({ from, to }) => {
    const a = areaOf(from);
    const b = areaOf(to);
    if (a === b) return false;
    const ra = rungOf(ladder, a);
    const rb = rungOf(ladder, b);
    return ra < 0 || rb < 0 || rb >= ra;
  });
}

Deno.test("climbing() allows an arrow down the ladder and within an area", () => {
  const arrows = [
    { from: "control/a.ts", to: "schedules/b.ts" },
    { from: "control/a.ts", to: "control/c.ts" },
  ];
  assert.deepEqual(climbing(LADDER, arrows), []);
});

Deno.test("climbing() flags an arrow up the ladder, across a rung and into an unlisted area", () => {
  const up = { from: "schedules/a.ts", to: "control/b.ts" };
  const across = { from: "preferences/a.ts", to: "inbox/b.ts" };
  const unlisted = { from: "ops/a.ts", to: "scheduler/b.ts" };
  assert.deepEqual(climbing(LADDER, [up, across, unlisted]), [
    up,
    across,
    unlisted,
  ]);
});

Deno.test("importSpecifiers() reads static, type, re-export and dynamic imports", () => {
  const source = [
    'import { a } from "./a.ts";',
    'import type { B } from "../b/b.ts";',
    'export { c } from "./c.ts";',
    'const d = await import("../d/d.ts");',
    'import { z } from "zod";',
  ].join("\n");
  assert.deepEqual(importSpecifiers(source), [
    "./a.ts",
    "../b/b.ts",
    "./c.ts",
    "../d/d.ts",
  ]);
});

Deno.test("every folder of src/services/ is on the ladder, once", async () => {
  const areas: string[] = [];
  for await (const entry of Deno.readDir(SERVICES)) {
    if (entry.isDirectory) areas.push(entry.name);
  }
  const listed = LADDER.flat();
  assert.deepEqual([...areas].sort(), [...listed].sort());
  assert.equal(new Set(listed).size, listed.length);
});

Deno.test("no import in src/services/ climbs the ladder", async () => {
  const arrows = await servicesGraph();
  // The graph is read from the tree: areas do import lower ones.
  assert.ok(arrows.some(({ from, to }) => areaOf(from) !== areaOf(to)));
  assert.deepEqual(
    climbing(LADDER, arrows).map(({ from, to }) => `${from} → ${to}`),
    [],
  );
});
