import assert from "node:assert/strict";
import { vapidKeyPair } from "@herald/dev";
import { ConfigError, parseConfig } from "../../src/config.ts";
import {
  decodeBase64UrlBytes,
  encodeBase64UrlBytes,
} from "../../src/domain/codecs/base64url.ts";
import { isP256Point, p256PublicKeyOf } from "../../src/domain/push/p256.ts";
import {
  VAPID_TOKEN_SECONDS,
  vapidClaims,
  vapidKeysProblem,
} from "../../src/domain/push/vapid.ts";
import { VALID_ENV } from "../support/config_env.ts";

async function pair() {
  const v = await vapidKeyPair();
  return {
    publicKey: v.VAPID_PUBLIC_KEY,
    privateKey: v.VAPID_PRIVATE_KEY,
    subject: v.VAPID_SUBJECT,
  };
}

Deno.test("p256PublicKeyOf() derives the public point WebCrypto made for the same private key", async () => {
  for (let i = 0; i < 5; i++) {
    const keys = await pair();
    const priv = decodeBase64UrlBytes(keys.privateKey);
    assert.ok(priv);
    const derived = p256PublicKeyOf(priv);
    assert.ok(derived);
    assert.equal(encodeBase64UrlBytes(derived), keys.publicKey);
    assert.ok(isP256Point(derived));
  }
});

Deno.test("p256PublicKeyOf() refuses zero, the group order and a wrong length", () => {
  assert.equal(p256PublicKeyOf(new Uint8Array(32)), null);
  assert.equal(p256PublicKeyOf(new Uint8Array(31).fill(1)), null);
  const order = Uint8Array.from(
    "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551"
      .match(/../g)!.map((h) => parseInt(h, 16)),
  );
  assert.equal(p256PublicKeyOf(order), null);
});

Deno.test("isP256Point() refuses a point off the curve and a compressed one", async () => {
  const point = decodeBase64UrlBytes((await pair()).publicKey)!;
  const moved = point.slice();
  moved[64] = moved[64]! ^ 1;
  assert.equal(isP256Point(moved), false);
  assert.equal(isP256Point(point.subarray(0, 33)), false);
  assert.equal(isP256Point(new Uint8Array([4, ...new Uint8Array(64)])), false);
});

Deno.test("vapidKeysProblem() accepts a matching pair and names what is wrong otherwise", async () => {
  const a = await pair();
  const b = await pair();
  assert.equal(vapidKeysProblem(a), null);
  assert.match(
    vapidKeysProblem({ ...a, publicKey: b.publicKey }) ?? "",
    /not the public key of VAPID_PRIVATE_KEY/,
  );
  assert.match(
    vapidKeysProblem({ ...a, publicKey: "abc" }) ?? "",
    /VAPID_PUBLIC_KEY must be/,
  );
  assert.match(
    vapidKeysProblem({ ...a, privateKey: "abc" }) ?? "",
    /VAPID_PRIVATE_KEY must be/,
  );
  for (const subject of ["ops@herald.example", "http://herald.example"]) {
    assert.match(vapidKeysProblem({ ...a, subject }) ?? "", /VAPID_SUBJECT/);
  }
  assert.match(
    vapidKeysProblem({ ...a, subject: "mailto:me@localhost" }) ?? "",
    /localhost/,
  );
  assert.equal(
    vapidKeysProblem({ ...a, subject: "https://herald.example/contact" }),
    null,
  );
});

Deno.test("parseConfig() turns push on with a matching pair and off without keys", async () => {
  const a = await pair();
  const on = parseConfig({
    ...VALID_ENV,
    VAPID_PUBLIC_KEY: a.publicKey,
    VAPID_PRIVATE_KEY: a.privateKey,
    VAPID_SUBJECT: a.subject,
  });
  assert.deepEqual(on.push, a);
  assert.equal(parseConfig(VALID_ENV).push, null);
});

Deno.test("parseConfig() refuses a partial or mismatched VAPID set, naming variables only", async () => {
  const a = await pair();
  const b = await pair();
  const refused = (env: Record<string, string>) => {
    try {
      parseConfig({ ...VALID_ENV, ...env });
    } catch (error) {
      if (error instanceof ConfigError) return error.message;
      throw error;
    }
    throw new Error("parseConfig() accepted it");
  };
  const partial = refused({ VAPID_PUBLIC_KEY: a.publicKey });
  assert.match(partial, /must be set together/);
  const mismatched = refused({
    VAPID_PUBLIC_KEY: a.publicKey,
    VAPID_PRIVATE_KEY: b.privateKey,
    VAPID_SUBJECT: a.subject,
  });
  assert.match(mismatched, /VAPID_PUBLIC_KEY is not the public key/);
  assert.ok(!mismatched.includes(b.privateKey));
  assert.ok(!mismatched.includes(a.publicKey));
});

Deno.test("parseConfig() allows PUSH_DEV_ORIGIN only in the local stack", () => {
  assert.throws(
    () =>
      parseConfig({ ...VALID_ENV, PUSH_DEV_ORIGIN: "http://127.0.0.1:8077" }),
    /PUSH_DEV_ORIGIN must be unset outside the local stack/,
  );
  const local = parseConfig({
    ...VALID_ENV,
    DEV_CLOCK: "qstash",
    PUSH_DEV_ORIGIN: "http://127.0.0.1:8077/",
  });
  assert.equal(local.pushDevOrigin, "http://127.0.0.1:8077");
});

Deno.test("vapidClaims() names the endpoint's origin and expires within 24 hours of the wall clock", () => {
  const nowMs = Date.UTC(2026, 0, 1, 12);
  const claims = vapidClaims({
    endpoint: "https://push.example:8443/wpush/abc?x=1",
    subject: "mailto:ops@herald.example",
    nowMs,
  });
  assert.deepEqual(claims, {
    aud: "https://push.example:8443",
    exp: nowMs / 1000 + VAPID_TOKEN_SECONDS,
    sub: "mailto:ops@herald.example",
  });
  assert.ok(VAPID_TOKEN_SECONDS <= 24 * 3600);
});
