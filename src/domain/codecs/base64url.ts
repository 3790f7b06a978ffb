// Unpadded base64url over UTF-8 (RFC 4648 §5): any string becomes [A-Za-z0-9_-],
// which fits inside QStash's schedule id alphabet and never contains ".".
// TextEncoder, TextDecoder, btoa and atob are web platform globals, present in
// Workers and Deno alike.

export function encodeBase64Url(text: string): string {
  return encodeBase64UrlBytes(new TextEncoder().encode(text));
}

/** Unpadded base64url of raw bytes (random ids, hashes). */
export function encodeBase64UrlBytes(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(
    /=+$/,
    "",
  );
}

/** The decoded text, or null unless `encoded` is exactly what encodeBase64Url would produce. */
export function decodeBase64Url(encoded: string): string | null {
  if (!/^[A-Za-z0-9_-]*$/.test(encoded)) return null;
  let text: string;
  try {
    const binary = atob(encoded.replaceAll("-", "+").replaceAll("_", "/"));
    const bytes = Uint8Array.from(binary, (char) => char.charCodeAt(0));
    // fatal: reject invalid UTF-8 instead of inventing U+FFFD;
    // ignoreBOM: a leading U+FEFF is part of the text, not a marker to drop.
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(
      bytes,
    );
  } catch {
    return null;
  }
  // Several strings decode to the same bytes (stray low bits in the last
  // character); only the canonical one round-trips.
  return encodeBase64Url(text) === encoded ? text : null;
}

/** The bytes, or null unless `encoded` is canonical unpadded base64url. */
export function decodeBase64UrlBytes(encoded: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]*$/.test(encoded) || encoded.length % 4 === 1) {
    return null;
  }
  let bytes: Uint8Array;
  try {
    const binary = atob(encoded.replaceAll("-", "+").replaceAll("_", "/"));
    bytes = Uint8Array.from(binary, (char) => char.charCodeAt(0));
  } catch {
    return null;
  }
  return encodeBase64UrlBytes(bytes) === encoded ? bytes : null;
}
