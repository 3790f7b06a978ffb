import assert from "node:assert/strict";
import { ensureDevVars, parseDevVars } from "./dev_vars.ts";

Deno.test("ensureDevVars() generates missing secrets and keeps existing ones", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/.dev.vars`;
  try {
    await Deno.writeTextFile(path, "# mine\nAPI_KEY=keep-me\n");
    const { vars, added } = await ensureDevVars(path, {
      API_KEY: () => "new",
      JWT_SECRET: () => "generated",
    });
    assert.deepEqual(added, ["JWT_SECRET"]);
    assert.deepEqual(vars.API_KEY, "keep-me");
    const onDisk = parseDevVars(await Deno.readTextFile(path));
    assert.deepEqual(onDisk, { API_KEY: "keep-me", JWT_SECRET: "generated" });
    const again = await ensureDevVars(path, { JWT_SECRET: () => "other" });
    assert.deepEqual(again.added, []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("parseDevVars() reads KEY=VALUE lines, quotes and comments", () => {
  assert.deepEqual(
    parseDevVars('A=1\n# c\n\nB="two words"\nC=x=y\nbad line\n'),
    { A: "1", B: "two words", C: "x=y" },
  );
});
