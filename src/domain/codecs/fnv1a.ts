/**
 * FNV-1a, 32 bit, over the UTF-8 bytes: a small stable hash, the same in
 * every runtime and deployment (for short log ids and shard placement —
 * not for anything that must resist an attacker).
 */
const encoder = new TextEncoder();

export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of encoder.encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}
