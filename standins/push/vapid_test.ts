import assert from "node:assert/strict";
import { encodeBase64url } from "./base64url.ts";
import { checkVapid, parseVapidAuthorization } from "./vapid.ts";

const AUDIENCE = "http://127.0.0.1:8077";
const NOW = Date.parse("2026-12-07T09:30:00Z");
const NOW_S = NOW / 1000;

async function signer() {
  const pair = await crypto.subtle.generateKey(
    { name: "ECDSA", namedCurve: "P-256" },
    true,
    ["sign", "verify"],
  ) as CryptoKeyPair;
  const publicKey = new Uint8Array(
    await crypto.subtle.exportKey("raw", pair.publicKey),
  );
  const k = encodeBase64url(publicKey);
  const jwt = async (claims: object, header: object = { alg: "ES256" }) => {
    const json = (value: object) =>
      encodeBase64url(new TextEncoder().encode(JSON.stringify(value)));
    const signed = `${json(header)}.${json(claims)}`;
    const signature = new Uint8Array(
      await crypto.subtle.sign(
        { name: "ECDSA", hash: "SHA-256" },
        pair.privateKey,
        new TextEncoder().encode(signed),
      ),
    );
    return `${signed}.${encodeBase64url(signature)}`;
  };
  return { publicKey, k, jwt };
}

const good = {
  aud: AUDIENCE,
  exp: NOW_S + 3600,
  sub: "mailto:ops@example.com",
};

async function verdict(
  claims: object,
  opts: { header?: object; tamper?: (jwt: string) => string } = {},
) {
  const s = await signer();
  const t = (opts.tamper ?? ((x) => x))(await s.jwt(claims, opts.header));
  return await checkVapid(`vapid t=${t}, k=${s.k}`, {
    applicationServerKey: s.publicKey,
    audience: AUDIENCE,
    now: NOW,
  });
}

Deno.test("checkVapid() accepts an ES256 JWT signed by k with aud, exp and sub right", async () => {
  assert.deepEqual(await verdict(good), { ok: true, claims: good });
  assert.equal(
    (await verdict({ ...good, sub: "https://herald.example/contact" })).ok,
    true,
  );
  assert.equal((await verdict({ ...good, exp: NOW_S + 86_400 })).ok, true);
});

Deno.test("checkVapid() answers 403 for each claim a push service refuses", async () => {
  const refusals: [string, object, RegExp][] = [
    ["expired", { ...good, exp: NOW_S - 1 }, /expired/],
    ["over 24 h", { ...good, exp: NOW_S + 86_401 }, /24 hours/],
    ["other aud", { ...good, aud: "https://push.example" }, /aud/],
    ["no sub", { aud: AUDIENCE, exp: NOW_S + 60 }, /no sub/],
    ["http sub", { ...good, sub: "http://herald.example" }, /mailto/],
    ["no exp", { aud: AUDIENCE, sub: good.sub }, /exp/],
  ];
  for (const [what, claims, reason] of refusals) {
    const result = await verdict(claims);
    assert.equal(result.ok, false, what);
    if (!result.ok) {
      assert.equal(result.status, 403, what);
      assert.match(result.reason, reason, what);
    }
  }
});

Deno.test("checkVapid() answers 403 for another alg and a signature that does not verify", async () => {
  const hs256 = await verdict(good, { header: { alg: "HS256" } });
  assert.deepEqual(hs256.ok ? null : hs256.status, 403);
  const tampered = await verdict(good, {
    tamper: (jwt) => {
      const [h, , s] = jwt.split(".");
      const claims = encodeBase64url(
        new TextEncoder().encode(
          JSON.stringify({ ...good, sub: "mailto:x@y.z" }),
        ),
      );
      return `${h}.${claims}.${s}`;
    },
  });
  assert.equal(tampered.ok ? null : tampered.status, 403);
});

Deno.test("checkVapid() answers 403 when k is not the subscription's applicationServerKey", async () => {
  const sender = await signer();
  const subscriber = await signer();
  const result = await checkVapid(
    `vapid t=${await sender.jwt(good)}, k=${sender.k}`,
    {
      applicationServerKey: subscriber.publicKey,
      audience: AUDIENCE,
      now: NOW,
    },
  );
  assert.equal(result.ok ? null : result.status, 403);
});

Deno.test("checkVapid() answers 401 when the vapid authentication is absent or incomplete", async () => {
  const s = await signer();
  const expect = {
    applicationServerKey: s.publicKey,
    audience: AUDIENCE,
    now: NOW,
  };
  for (
    const header of [null, "", "Bearer x", "vapid t=abc", `vapid k=${s.k}`]
  ) {
    const result = await checkVapid(header, expect);
    assert.equal(result.ok ? null : result.status, 401, String(header));
  }
});

Deno.test("parseVapidAuthorization() takes the scheme in any case and t, k in any order", () => {
  assert.deepEqual(parseVapidAuthorization("VAPID k=K1,t=a.b.c"), {
    ok: true,
    t: "a.b.c",
    k: "K1",
  });
});
