/**
 * Bodies are kept as base64 so that binary payloads survive storage and the
 * state file untouched. QStash's API shows a body as `body` when it is valid
 * UTF-8 and as `bodyBase64` otherwise.
 */
export function bytesToBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

export function base64ToBytes(base64: string): Uint8Array<ArrayBuffer> {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** The body as text when it is valid UTF-8, else undefined. */
export function utf8TextOf(base64: string): string | undefined {
  try {
    return strictUtf8.decode(base64ToBytes(base64));
  } catch {
    return undefined;
  }
}
