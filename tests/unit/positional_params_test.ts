// node:assert ships with Deno; @std/assert would have to come from JSR, which
// this project's machines cannot reach.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import ts from "typescript";

/**
 * Past four, parameters travel as one object (STYLE, habit 15): a call
 * site then names what it passes, and two adjacent values of one type
 * cannot swap unseen. Read by TypeScript's own parser, so a default value,
 * a destructured parameter or a rest parameter counts as the one parameter
 * it is, and a `this` declaration counts as none.
 */
const MAX_PARAMETERS = 4;

/**
 * Offenders the check tolerates for now, as "path name" under `src/`. Each
 * must still offend: a fixed one is taken off this list.
 */
const TOLERATED: readonly string[] = [];

const SRC = fileURLToPath(new URL("../../src/", import.meta.url));

interface Wide {
  /** "path name", the path under `src/`. */
  where: string;
  line: number;
  parameters: number;
}

/** What a function-like node is called where it is declared. */
function nameOf(node: ts.SignatureDeclaration): string {
  if (ts.isConstructorDeclaration(node)) {
    const owner = node.parent;
    return `${ts.isClassLike(owner) && owner.name ? owner.name.text : ""}` +
      ".constructor";
  }
  if (node.name) return node.name.getText();
  const parent = node.parent;
  if (
    ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) ||
    ts.isPropertyDeclaration(parent) || ts.isParameter(parent)
  ) {
    return parent.name.getText();
  }
  return "(anonymous)";
}

/** Every function, method, arrow, constructor or signature past the limit. */
function wideFunctions(path: string, source: string): Wide[] {
  const file = ts.createSourceFile(path, source, ts.ScriptTarget.Latest, true);
  const wide: Wide[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isFunctionLike(node)) {
      const parameters = node.parameters.filter((p) =>
        !(ts.isIdentifier(p.name) && p.name.text === "this")
      ).length;
      if (parameters > MAX_PARAMETERS) {
        const { line } = file.getLineAndCharacterOfPosition(node.getStart());
        wide.push({
          where: `${path} ${nameOf(node)}`,
          line: line + 1,
          parameters,
        });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return wide;
}

/** Every `.ts` file under `src/`, as paths inside it. */
async function sourceFiles(dir = ""): Promise<string[]> {
  const files: string[] = [];
  for await (const entry of Deno.readDir(`${SRC}${dir}`)) {
    const path = dir === "" ? entry.name : `${dir}/${entry.name}`;
    if (entry.isDirectory) files.push(...await sourceFiles(path));
    else if (entry.name.endsWith(".ts")) files.push(path);
  }
  return files;
}

const wheres = (wide: readonly Wide[]) => wide.map((w) => w.where);

Deno.test("wideFunctions() counts a default, a destructured and a rest parameter as one each", () => {
  const source = [
    "function four(a = 1, { b, c }: { b: 1; c: 2 }, [d, e]: number[], ...f: string[]) {}",
    "function five(a: number, b = { x: 1, y: 2 }, { c, d, e, f }: O, g: G, h?: H) {}",
  ].join("\n");
  assert.deepEqual(wideFunctions("x.ts", source), [
    { where: "x.ts five", line: 2, parameters: 5 },
  ]);
});

Deno.test("wideFunctions() finds arrows, function expressions, methods, constructors and signatures", () => {
  const source = [
    "const arrow = (a, b, c, d, e) => 0;",
    "const expr = function (a, b, c, d, e) {};",
    "class K {",
    "  constructor(a, b, c, d, e) {}",
    "  method(a, b, c, d, e) {}",
    "}",
    "const o = { prop: (a, b, c, d, e) => 0 };",
    "interface I { sig(a: 1, b: 2, c: 3, d: 4, e: 5): void }",
    "type F = (a: 1, b: 2, c: 3, d: 4, e: 5) => void;",
    "call((a, b, c, d, e) => 0);",
  ].join("\n");
  assert.deepEqual(wheres(wideFunctions("x.ts", source)), [
    "x.ts arrow",
    "x.ts expr",
    "x.ts K.constructor",
    "x.ts method",
    "x.ts prop",
    "x.ts sig",
    "x.ts (anonymous)",
    "x.ts (anonymous)",
  ]);
});

Deno.test("wideFunctions() leaves out a this declaration and reads a function in a default value on its own", () => {
  const source = [
    "function bound(this: W, a: 1, b: 2, c: 3, d: 4) {}",
    "function outer(f = (a, b, c, d, e) => 0) {}",
  ].join("\n");
  assert.deepEqual(wideFunctions("x.ts", source), [
    { where: "x.ts f", line: 2, parameters: 5 },
  ]);
});

Deno.test("no function in src/ takes more than four positional parameters", async () => {
  const files = await sourceFiles();
  // The tree is read: the folders the services and the SDK live in are there.
  assert.ok(files.some((f) => f.startsWith("services/")));
  assert.ok(files.includes("sdk/errors.ts"));
  const wide: Wide[] = [];
  for (const path of files) {
    wide.push(...wideFunctions(path, await Deno.readTextFile(`${SRC}${path}`)));
  }
  assert.deepEqual(
    wide.filter((w) => !TOLERATED.includes(w.where))
      .map((w) => `${w.where} (line ${w.line}): ${w.parameters} parameters`),
    [],
  );
  assert.deepEqual(
    TOLERATED.filter((t) => !wheres(wide).includes(t)),
    [],
    "A tolerated offender no longer offends: take it off the list",
  );
});
