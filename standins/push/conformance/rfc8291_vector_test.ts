/**
 * The decryptor against RFC 8291 Appendix A: the user agent's private key
 * is published, so the §5 request body decrypts to the published plaintext
 * and every published intermediate is checked byte for byte.
 */
import assert from "node:assert/strict";
import {
  decryptAes128gcm,
  type ReceiverKeys,
  UndecryptableMessage,
} from "../aes128gcm.ts";
import { decodeBase64url, encodeBase64url } from "../base64url.ts";

const RFC8291 = {
  plaintext: "When I grow up, I want to be a watermelon",
  asPublic:
    "BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8",
  uaPublic:
    "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4",
  uaPrivate: "q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94",
  salt: "DGv6ra1nlYgDCS1FRnbzlw",
  authSecret: "BTBZMqHH6r4Tts7J_aSIgg",
  ecdhSecret: "kyrL1jIIOHEzg3sM2ZWRHDRB62YACZhhSlknJ672kSs",
  prkKey: "Snr3JMxaHVDXHWJn5wdC52WjpCtd2EIEGBykDcZW32k",
  ikm: "S4lYMb_L0FxCeq0WhDx813KgSYqU26kOyzWUdsXYyrg",
  prk: "09_eUZGrsvxChDCGRCdkLiDXrReGOEVeSCdCcPBSJSc",
  cek: "oIhVW04MRdy2XN9CiKLxTg",
  nonce: "4h_95klXJ5E_qnoN",
  // §5: the whole encrypted request body, header and record.
  body:
    "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN",
};

function bytes(text: string): Uint8Array<ArrayBuffer> {
  const decoded = decodeBase64url(text);
  if (!decoded) throw new Error(`not base64url: ${text}`);
  return decoded;
}

async function rfcReceiver(): Promise<ReceiverKeys> {
  const publicKey = bytes(RFC8291.uaPublic);
  const privateKey = await crypto.subtle.importKey(
    "jwk",
    {
      kty: "EC",
      crv: "P-256",
      x: encodeBase64url(publicKey.slice(1, 33)),
      y: encodeBase64url(publicKey.slice(33, 65)),
      d: RFC8291.uaPrivate,
    },
    { name: "ECDH", namedCurve: "P-256" },
    false,
    ["deriveBits"],
  );
  return { privateKey, publicKey, authSecret: bytes(RFC8291.authSecret) };
}

Deno.test("decryptAes128gcm() opens RFC 8291's §5 body to the published plaintext", async () => {
  const message = await decryptAes128gcm(
    bytes(RFC8291.body),
    await rfcReceiver(),
  );
  assert.equal(new TextDecoder().decode(message.plaintext), RFC8291.plaintext);
  assert.equal(message.recordSize, 4096);
  assert.equal(encodeBase64url(message.salt), RFC8291.salt);
  assert.equal(encodeBase64url(message.senderPublicKey), RFC8291.asPublic);
});

Deno.test("decryptAes128gcm() derives every intermediate of RFC 8291 Appendix A byte for byte", async () => {
  const { secrets } = await decryptAes128gcm(
    bytes(RFC8291.body),
    await rfcReceiver(),
  );
  assert.deepEqual(
    {
      ecdhSecret: encodeBase64url(secrets.ecdhSecret),
      prkKey: encodeBase64url(secrets.prkKey),
      ikm: encodeBase64url(secrets.ikm),
      prk: encodeBase64url(secrets.prk),
      cek: encodeBase64url(secrets.cek),
      nonce: encodeBase64url(secrets.nonce),
    },
    {
      ecdhSecret: RFC8291.ecdhSecret,
      prkKey: RFC8291.prkKey,
      ikm: RFC8291.ikm,
      prk: RFC8291.prk,
      cek: RFC8291.cek,
      nonce: RFC8291.nonce,
    },
  );
});

Deno.test("decryptAes128gcm() refuses the RFC body with one ciphertext byte flipped", async () => {
  const body = bytes(RFC8291.body);
  body[body.length - 1]! ^= 1;
  await assert.rejects(
    decryptAes128gcm(body, await rfcReceiver()),
    UndecryptableMessage,
  );
});

Deno.test("decryptAes128gcm() refuses the RFC body for another auth secret", async () => {
  const receiver = await rfcReceiver();
  receiver.authSecret = crypto.getRandomValues(new Uint8Array(16));
  await assert.rejects(
    decryptAes128gcm(bytes(RFC8291.body), receiver),
    UndecryptableMessage,
  );
});

Deno.test("decryptAes128gcm() refuses a header cut short and a keyid of the wrong length", async () => {
  const receiver = await rfcReceiver();
  const body = bytes(RFC8291.body);
  await assert.rejects(
    decryptAes128gcm(body.slice(0, 80), receiver),
    /shorter than the 86-byte/,
  );
  const wrongIdLength = body.slice();
  wrongIdLength[20] = 64;
  await assert.rejects(
    decryptAes128gcm(wrongIdLength, receiver),
    /keyid is 64 bytes/,
  );
});

Deno.test("decryptAes128gcm() refuses a body longer than its declared record size", async () => {
  const body = bytes(RFC8291.body);
  // rs = 18: the 41-byte plaintext's record (58 bytes) cannot be one record.
  new DataView(body.buffer).setUint32(16, 18);
  await assert.rejects(
    decryptAes128gcm(body, await rfcReceiver()),
    /more than one record/,
  );
});
