const utf8 = new TextEncoder();

/**
 * Checks `Authorization: Bearer <token>` in time independent of where the
 * tokens differ, so the dev proxy does not teach habits production would punish.
 */
export function isAuthorized(
  header: string | undefined,
  token: string,
): boolean {
  const match = header?.match(/^Bearer\s+(\S+)\s*$/i);
  if (!match?.[1]) return false;
  return timingSafeEqual(utf8.encode(match[1]), utf8.encode(token));
}

function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < a.length; i++) {
    diff |= (a[i] ?? 0) ^ (b[i % b.length] ?? 0);
  }
  return diff === 0;
}
