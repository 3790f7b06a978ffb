import assert from "node:assert/strict";
import { isP256Point } from "./p256_point.ts";

Deno.test("isP256Point() accepts a generated public key and refuses what is off the curve", async () => {
  const pair = await crypto.subtle.generateKey(
    { name: "ECDH", namedCurve: "P-256" },
    true,
    ["deriveBits"],
  ) as CryptoKeyPair;
  const raw = new Uint8Array(
    await crypto.subtle.exportKey("raw", pair.publicKey),
  );
  assert.equal(isP256Point(raw), true);
  const flipped = raw.slice();
  flipped[64]! ^= 1;
  assert.equal(isP256Point(flipped), false);
  const zero = new Uint8Array(65);
  zero[0] = 4;
  assert.equal(isP256Point(zero), false);
  const compressed = raw.slice(0, 33);
  compressed[0] = 2;
  assert.equal(isP256Point(compressed), false);
});
