/**
 * base64url without padding (RFC 4648 §5), the encoding of every key, salt
 * and JWT segment in Web Push. `decodeBase64url` answers null for anything
 * that is not strictly that alphabet, so a bad key is a 400, not a throw.
 */
export function encodeBase64url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(
    /=+$/,
    "",
  );
}

export function decodeBase64url(
  text: string,
): Uint8Array<ArrayBuffer> | null {
  // A trailing "=" is tolerated: some senders pad their keys.
  const unpadded = text.replace(/={0,2}$/, "");
  if (!/^[A-Za-z0-9_-]*$/.test(unpadded) || unpadded.length % 4 === 1) {
    return null;
  }
  const base64 = unpadded.replaceAll("-", "+").replaceAll("_", "/");
  const binary = atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
