import assert from "node:assert/strict";
import {
  patchedType,
  typeCreateSchema,
  typeDefinitionSchema,
  typePatchSchema,
} from "../../src/domain/catalogue/notification_type.ts";
import {
  renderTemplate,
  unknownPlaceholders,
} from "../../src/domain/delivery/template.ts";
import {
  movesAnyone,
  shapeOf,
} from "../../src/domain/catalogue/type_change.ts";
import { formatIssuePath } from "../../src/domain/codecs/issue_path.ts";
import { DEMO } from "../support/demo_catalogue.ts";

function issues(result: {
  success: boolean;
  error?: { issues: { path: PropertyKey[]; message: string }[] };
}): { path: string; message: string }[] {
  return (result.error?.issues ?? []).map((i) => ({
    path: formatIssuePath(i.path),
    message: i.message,
  }));
}

const minimal = {
  id: "dailyVerse",
  label: "Daily verse",
  times: ["06:00"],
  template: { title: "Today's verse" },
};

Deno.test("a type needs only an id, a label, times and a title; the rest has defaults", () => {
  assert.deepEqual(typeCreateSchema.parse(minimal), {
    ...minimal,
    description: "",
    enabled: true,
    days: ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
    template: { title: "Today's verse", body: "" },
    severity: "medium",
    webhook: null,
    critical: false,
    channels: { push: "off" },
    digest: null,
  });
});

Deno.test("a type's digest window is one minute to a day, its max 2 to 1,000", () => {
  for (
    const digest of [{ window: "10m", max: 50 }, { window: "24h", max: 2 }]
  ) {
    assert.ok(typeCreateSchema.safeParse({ ...minimal, digest }).success);
  }
  for (
    const digest of [
      { window: "30s", max: 50 },
      { window: "25h", max: 50 },
      { window: "0m", max: 50 },
      { window: "10m", max: 1 },
      { window: "10m" },
    ]
  ) {
    const result = typeCreateSchema.safeParse({ ...minimal, digest });
    assert.equal(result.success, false, JSON.stringify(digest));
    assert.equal(issues(result)[0]?.path.split(".")[0], "digest");
  }
});

Deno.test("a type id is letters and digits, starting with a letter", () => {
  for (const id of ["morning-digest", "9am", "", "a.b", "x".repeat(65)]) {
    const result = typeCreateSchema.safeParse({ ...minimal, id });
    assert.equal(result.success, false, id);
    assert.equal(issues(result)[0]?.path, "id");
  }
  assert.ok(typeCreateSchema.safeParse({ ...minimal, id: "a9" }).success);
});

Deno.test("times and days follow a user's rules: sorted, unique, valid", () => {
  const parsed = typeCreateSchema.parse({
    ...minimal,
    times: ["18:00", "06:00"],
    days: ["sun", "mon"],
  });
  assert.deepEqual(parsed.times, ["06:00", "18:00"]);
  assert.deepEqual(parsed.days, ["mon", "sun"]);
  const bad = typeCreateSchema.safeParse({ ...minimal, times: ["25:00"] });
  assert.equal(issues(bad)[0]?.path, "times[0]");
  const none = typeCreateSchema.safeParse({ ...minimal, days: [] });
  assert.equal(issues(none)[0]?.path, "days");
});

Deno.test("a template naming a placeholder nothing fills is refused when the type is saved", () => {
  const result = typeCreateSchema.safeParse({
    ...minimal,
    template: { title: "Hi {{firstName}}", body: "{{data.verse}} {{ oops! }}" },
  });
  assert.deepEqual(issues(result).map((i) => i.path), [
    "template.title",
    "template.body",
  ]);
  assert.match(issues(result)[0]?.message ?? "", /"\{\{firstName\}\}"/);
  assert.match(issues(result)[1]?.message ?? "", /oops!/);
  assert.deepEqual(
    unknownPlaceholders("{{localDate}} {{ userId }} {{data.any_key}}"),
    [],
  );
});

Deno.test("templates render the occurrence's values and the webhook's data", () => {
  assert.equal(
    renderTemplate(
      "{{label}} for {{userId}} on {{localDate}}: {{data.verse}}{{data.none}}",
      { label: "Verse", userId: "ada", localDate: "2026-12-01" },
      { verse: "John 1:1" },
    ),
    "Verse for ada on 2026-12-01: John 1:1",
  );
  assert.equal(renderTemplate("{{data.n}}", {}, { n: { a: 1 } }), '{"a":1}');
});

Deno.test("a critical type cannot be off by default", () => {
  const result = typeCreateSchema.safeParse({
    ...minimal,
    critical: true,
    enabled: false,
  });
  assert.deepEqual(issues(result).map((i) => i.path), ["enabled"]);
});

Deno.test("a type's id cannot be changed: neither a replacement nor a patch may carry one", () => {
  const { id: _, ...definition } = minimal;
  assert.ok(typeDefinitionSchema.safeParse(definition).success);
  const put = typeDefinitionSchema.safeParse({ ...definition, id: "other" });
  assert.match(issues(put)[0]?.message ?? "", /"id"/);
  const patch = typePatchSchema.safeParse({ id: "other" });
  assert.match(issues(patch)[0]?.message ?? "", /"id"/);
});

Deno.test("a patch is checked as the whole type it makes", () => {
  const digest = DEMO.get("morningDigest");
  assert.ok(digest);
  const ok = patchedType(digest, { times: ["07:00"] });
  assert.ok(ok.success);
  assert.deepEqual(ok.data.times, ["07:00"]);
  assert.equal(ok.data.label, digest.label);
  const off = patchedType({ ...digest, critical: true }, { enabled: false });
  assert.deepEqual(issues(off).map((i) => i.path), ["enabled"]);
});

Deno.test("only a change to who gets a type when moves users", () => {
  const digest = DEMO.get("morningDigest");
  assert.ok(digest);
  const shape = shapeOf(digest);
  const change = (after: Partial<typeof digest>) => ({
    type: digest.id,
    before: shape,
    after: shapeOf({ ...digest, ...after }),
  });
  assert.equal(movesAnyone(change({ label: "New", severity: "high" })), false);
  assert.equal(movesAnyone(change({ webhook: "https://x.example" })), false);
  assert.equal(movesAnyone(change({ times: ["07:00"] })), true);
  assert.equal(movesAnyone(change({ days: ["mon"] })), true);
  assert.equal(movesAnyone(change({ enabled: false })), true);
  assert.equal(movesAnyone(change({ critical: true })), true);
  // Appearing or going always needs a look: choices about an earlier type
  // of the same id may switch it on for somebody.
  assert.equal(
    movesAnyone({ type: "x", before: null, after: change({}).after }),
    true,
  );
  assert.equal(movesAnyone({ type: "x", before: shape, after: null }), true);
});
