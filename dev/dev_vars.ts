/**
 * `.dev.vars` is wrangler's local secrets file (KEY=VALUE lines). The dev
 * stack generates what is missing and never overwrites what a developer set.
 */
export type DevVars = Record<string, string>;

export function parseDevVars(text: string): DevVars {
  const vars: DevVars = {};
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const eq = line.indexOf("=");
    if (eq <= 0) continue;
    let value = line.slice(eq + 1).trim();
    if (/^".*"$/.test(value)) value = value.slice(1, -1);
    vars[line.slice(0, eq).trim()] = value;
  }
  return vars;
}

function formatDevVars(vars: DevVars): string {
  return Object.entries(vars).map(([k, v]) => `${k}=${v}`).join("\n") + "\n";
}

/** A random secret: `bytes` of CSPRNG output as hex. */
export function randomSecret(bytes = 32): string {
  return Array.from(
    crypto.getRandomValues(new Uint8Array(bytes)),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
}

/**
 * Reads `path`, adds every key of `wanted` that is absent (values may be
 * thunks so secrets are only generated when needed), writes it back if it
 * changed, and returns the merged vars and the keys it added.
 */
export async function ensureDevVars(
  path: string,
  wanted: Record<string, string | (() => string)>,
): Promise<{ vars: DevVars; added: string[] }> {
  let existing: DevVars = {};
  try {
    existing = parseDevVars(await Deno.readTextFile(path));
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  const vars = { ...existing };
  const added: string[] = [];
  for (const [key, value] of Object.entries(wanted)) {
    if (vars[key] !== undefined) continue;
    vars[key] = typeof value === "function" ? value() : value;
    added.push(key);
  }
  if (added.length > 0) {
    await Deno.writeTextFile(path, formatDevVars(vars), { mode: 0o600 });
  }
  return { vars, added };
}

const base64url = (bytes: ArrayBuffer) =>
  btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");

/**
 * A fresh VAPID identity for the local stack: a P-256 pair as base64url
 * (the public key raw and uncompressed, the private key its scalar `d`) and
 * a subject push services would accept.
 */
export async function vapidKeyPair(): Promise<{
  VAPID_PUBLIC_KEY: string;
  VAPID_PRIVATE_KEY: string;
  VAPID_SUBJECT: string;
}> {
  const pair = await crypto.subtle.generateKey(
    { name: "ECDSA", namedCurve: "P-256" },
    true,
    ["sign", "verify"],
  );
  const jwk = await crypto.subtle.exportKey("jwk", pair.privateKey);
  if (!jwk.d) throw new Error("WebCrypto exported a P-256 key without d");
  return {
    VAPID_PUBLIC_KEY: base64url(
      await crypto.subtle.exportKey("raw", pair.publicKey),
    ),
    VAPID_PRIVATE_KEY: jwk.d,
    VAPID_SUBJECT: "mailto:dev@herald.example",
  };
}
