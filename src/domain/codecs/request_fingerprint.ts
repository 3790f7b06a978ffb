/**
 * JSON with every object's keys sorted (recursively) and `undefined` members
 * left out, as `JSON.stringify` leaves them out: one text per value, however
 * a client's serializer ordered the keys or spaced the text. Arrays keep
 * their order — in a request it is data, not formatting.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) {
    return `[${value.map((v) => canonicalJson(v ?? null)).join(",")}]`;
  }
  if (typeof value === "object" && value !== null) {
    const members = Object.keys(value).sort()
      .filter((key) => Reflect.get(value, key) !== undefined)
      .map((key) =>
        `${JSON.stringify(key)}:${canonicalJson(Reflect.get(value, key))}`
      );
    return `{${members.join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/**
 * What makes two requests "the same" for an Idempotency-Key: the SHA-256
 * (hex) of the canonical JSON of the request as validated — trimmed, with
 * defaults filled in and unknown fields already refused. So a retry that a
 * different serializer spelled differently (key order, spacing, an explicit
 * `"severity": "medium"`) is the same request, and any change to what would
 * be sent — target, type, title, body, severity or data — is not.
 */
export async function requestFingerprint(validated: unknown): Promise<string> {
  const bytes = new TextEncoder().encode(canonicalJson(validated));
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return Array.from(
    new Uint8Array(digest),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
}
