import assert from "node:assert/strict";
import {
  DEV_QSTASH_CURRENT_SIGNING_KEY,
  signDelivery,
} from "@herald/standin-qstash";

const URL_SIGNED = "https://herald.example/v1/qstash/callback";
const OWN_KEYS = {
  currentSigningKey: "sig_own_current_key_of_this_deployment",
  nextSigningKey: "sig_own_next_key_of_this_deployment",
};

/**
 * Herald's check run in a Deno process of its own with `env` added: the
 * SDK reads `QSTASH_DEV` from the process environment, which a test must
 * not change for the other files running beside it.
 */
async function verdict(
  env: Record<string, string>,
  signingKey: string,
): Promise<string> {
  const body = '{"kind":"slot","slot":"0930"}';
  const signature = await signDelivery({
    signingKey,
    url: URL_SIGNED,
    body: new TextEncoder().encode(body),
    nowSeconds: Math.floor(Date.now() / 1000),
  });
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("./fixtures/verify_signature.ts", import.meta.url).pathname,
    ],
    env,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(
    new TextEncoder().encode(
      JSON.stringify({ keys: OWN_KEYS, signature, body, url: URL_SIGNED }),
    ),
  );
  await writer.close();
  const out = await child.output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, stderr);
  return new TextDecoder().decode(out.stdout).trim();
}

Deno.test("a signature made with QStash's published dev key is refused even with QSTASH_DEV set", async () => {
  for (const value of ["1", "true"]) {
    assert.equal(
      await verdict({ QSTASH_DEV: value }, DEV_QSTASH_CURRENT_SIGNING_KEY),
      "unauthorized",
      `QSTASH_DEV=${value}`,
    );
  }
});

Deno.test("with QSTASH_DEV set, a delivery signed with the configured key still passes", async () => {
  assert.equal(
    await verdict({ QSTASH_DEV: "1" }, OWN_KEYS.currentSigningKey),
    "accepted",
  );
  assert.equal(await verdict({}, OWN_KEYS.nextSigningKey), "accepted");
});
