import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import ts from "typescript";

/**
 * One service context (src/context.ts): an exported service function that
 * needs Herald's deps takes one object `{ ctx, … }`, where `ctx` carries
 * the deps, the background runner, the logger and the timing marks. So no
 * service takes `background` by position, and none spells out its own
 * `Pick<AppDeps, …>`. Read by TypeScript's parser.
 */
const SERVICES = fileURLToPath(new URL("../../src/services/", import.meta.url));

/** Where a service file breaks the rule, as "path name: why". */
function offences(path: string, source: string): string[] {
  const file = ts.createSourceFile(path, source, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isTypeReferenceNode(node)) {
      const name = node.typeName.getText();
      const first = node.typeArguments?.[0]?.getText();
      if (name === "Background") found.push(`${path}: takes a Background`);
      if (name === "Pick" && first === "AppDeps") {
        found.push(`${path}: picks from AppDeps`);
      }
    }
    if (ts.isFunctionDeclaration(node) && node.name && isExported(node)) {
      const where = `${path} ${node.name.text}`;
      const withDeps = node.parameters.filter((p) =>
        /\b(ServiceContext|AppDeps)\b/.test(p.type?.getText() ?? "")
      );
      const [only] = node.parameters;
      if (withDeps.length > 0) {
        const pattern = only && ts.isObjectBindingPattern(only.name)
          ? only.name
          : null;
        const hasCtx = pattern?.elements.some((e) =>
          e.name.getText() === "ctx"
        );
        if (node.parameters.length !== 1 || !hasCtx) {
          found.push(`${where}: not one object { ctx, … }`);
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

function isExported(node: ts.FunctionDeclaration): boolean {
  return node.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword) ??
    false;
}

async function serviceFiles(dir = ""): Promise<string[]> {
  const files: string[] = [];
  for await (const entry of Deno.readDir(`${SERVICES}${dir}`)) {
    const path = dir === "" ? entry.name : `${dir}/${entry.name}`;
    if (entry.isDirectory) files.push(...await serviceFiles(path));
    else if (entry.name.endsWith(".ts")) files.push(path);
  }
  return files;
}

Deno.test("offences() names a positional context, a Background and a Pick of AppDeps", () => {
  const source = [
    "export function good({ ctx, id }: { ctx: ServiceContext; id: string }) {}",
    "export function pure(id: string) {}",
    "export function positional(ctx: ServiceContext, id: string) {}",
    "export function noCtx({ deps }: { deps: ServiceContext }) {}",
    "function inner(ctx: ServiceContext, id: string) {}",
    "export function threaded(x: { background: Background }) {}",
    "type Deps = Pick<AppDeps, 'db'>;",
  ].join("\n");
  assert.deepEqual(offences("x.ts", source), [
    "x.ts positional: not one object { ctx, … }",
    "x.ts noCtx: not one object { ctx, … }",
    "x.ts: takes a Background",
    "x.ts: picks from AppDeps",
  ]);
});

Deno.test("every service verb takes one object { ctx, … } and no service threads its own deps or background", async () => {
  const files = await serviceFiles();
  assert.ok(files.includes("delivery/create_notification.ts"));
  const found: string[] = [];
  for (const path of files) {
    found.push(...offences(path, await Deno.readTextFile(SERVICES + path)));
  }
  assert.deepEqual(found, []);
});
