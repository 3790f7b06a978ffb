import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

/**
 * README's Architecture section opens with a tree of `src/`: two spaces an
 * indent, a folder a name ending in "/". Held here to the folders that are
 * there, so a folder added, moved or removed shows in README too.
 */
const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** The folders the tree names under `src/`, as paths such as "src/db/migrations". */
function treeFolders(readme: string): string[] {
  const section = readme.split("\n## Architecture\n")[1];
  assert.ok(section, "README has an Architecture section");
  const block = section.split("```")[1] ?? "";
  const folders: string[] = [];
  const stack: string[] = [];
  let inSrc = false;
  for (const line of block.split("\n")) {
    const name = line.trimStart().split(/\s/)[0] ?? "";
    if (name === "") continue;
    const depth = (line.length - line.trimStart().length) / 2;
    if (depth === 0) inSrc = name === "src/";
    if (!inSrc || !name.endsWith("/")) continue;
    stack.length = depth;
    stack.push(name.slice(0, -1));
    folders.push(stack.join("/"));
  }
  return folders;
}

async function foldersOf(dir: string): Promise<string[]> {
  const found = [dir];
  for await (const entry of Deno.readDir(`${ROOT}${dir}`)) {
    if (entry.isDirectory) {
      found.push(...await foldersOf(`${dir}/${entry.name}`));
    }
  }
  return found;
}

Deno.test("treeFolders() reads nesting from the indent and stops at src/'s end", () => {
  const readme = [
    "## Architecture",
    "",
    "```",
    "src/",
    "  app.ts     the app",
    "  db/        schema",
    "    migrations/  generated",
    "  http/      edges",
    "scripts/     not src",
    "```",
  ].join("\n");
  assert.deepEqual(treeFolders("\n" + readme), [
    "src",
    "src/db",
    "src/db/migrations",
    "src/http",
  ]);
});

Deno.test("README's Architecture tree names every folder of src/, and no other", async () => {
  const readme = await Deno.readTextFile(`${ROOT}README.md`);
  const named = treeFolders(readme).sort();
  const there = (await foldersOf("src")).sort();
  assert.ok(there.includes("src/services/delivery"));
  assert.deepEqual(named, there);
});
