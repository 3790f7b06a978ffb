import assert from "node:assert/strict";
import {
  pushes,
  type PushPolicy,
  pushPolicyFor,
} from "../../src/domain/push/push_policy.ts";
import { catalogueOf } from "../../src/domain/catalogue/catalogue.ts";
import {
  checkTypes,
  defaultPreferences,
} from "../../src/domain/preferences/preferences.ts";
import { effectivePreferences } from "../../src/domain/preferences/preference_overrides.ts";
import { DEMO } from "../support/demo_catalogue.ts";

const policy = (
  type: PushPolicy,
  o: { critical?: boolean; userPush?: boolean; userType?: boolean | null } = {},
) =>
  pushPolicyFor({
    type,
    critical: o.critical ?? false,
    userPush: o.userPush ?? true,
    userType: o.userType ?? null,
  });

Deno.test("pushPolicyFor() follows the type's policy when the user never chose", () => {
  for (const type of ["off", "offline", "always"] as const) {
    assert.equal(policy(type), type);
  }
});

Deno.test("pushPolicyFor() lets a user switch a type's push off, or on (as offline)", () => {
  assert.equal(policy("always", { userType: false }), "off");
  assert.equal(policy("off", { userType: true }), "offline");
  assert.equal(policy("always", { userType: true }), "always");
});

Deno.test("pushPolicyFor() switches every push off with the user's global false, but a critical type's", () => {
  assert.equal(policy("always", { userPush: false, userType: true }), "off");
  assert.equal(
    policy("always", { critical: true, userPush: false, userType: false }),
    "always",
  );
  assert.equal(
    policy("offline", { critical: true, userPush: false }),
    "offline",
  );
});

Deno.test("pushes(): offline only when no live connection took it; always regardless", () => {
  assert.equal(pushes("offline", 0), true);
  assert.equal(pushes("offline", 2), false);
  assert.equal(pushes("always", 2), true);
  assert.equal(pushes("off", 0), false);
});

const digest = DEMO.types[0]!;
const catalogue = catalogueOf([
  { ...digest, id: "digest", channels: { push: "offline" } },
  { ...digest, id: "quiet", channels: { push: "off" } },
  { ...digest, id: "outage", critical: true, channels: { push: "always" } },
]);

Deno.test("a type's push preference follows its catalogue default until the user chooses", () => {
  const prefs = defaultPreferences(catalogue);
  assert.deepEqual(prefs.channels, { push: true });
  assert.equal(prefs.types.digest?.channels.push, true);
  assert.equal(prefs.types.quiet?.channels.push, false);
  const chosen = effectivePreferences({
    channels: { push: false },
    types: { quiet: { channels: { push: true } } },
  }, catalogue);
  assert.deepEqual(chosen.channels, { push: false });
  assert.equal(chosen.types.quiet?.channels.push, true);
  assert.equal(chosen.types.digest?.channels.push, true);
});

Deno.test("checkTypes() refuses switching a critical type's push off", () => {
  const issues = checkTypes(
    { outage: { channels: { push: false } } },
    catalogue,
  );
  assert.deepEqual(issues.map((i) => i.path.join(".")), [
    "types.outage.channels.push",
  ]);
  assert.deepEqual(
    checkTypes({ digest: { channels: { push: false } } }, catalogue),
    [],
  );
});
