/**
 * Whether 65 bytes are an uncompressed point on P-256 (0x04 ‖ x ‖ y with
 * y² = x³ − 3x + b mod p). Checked by hand: WebCrypto's raw import in Deno
 * takes points that are not on the curve (0, 0 among them).
 */
const P = 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn;
const B = 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn;

export function isP256Point(raw: Uint8Array): boolean {
  if (raw.length !== 65 || raw[0] !== 0x04) return false;
  const x = toBigInt(raw.subarray(1, 33));
  const y = toBigInt(raw.subarray(33, 65));
  if (x >= P || y >= P) return false;
  const right = (((x * x % P) * x - 3n * x + B) % P + P) % P;
  return (y * y) % P === right;
}

function toBigInt(bytes: Uint8Array): bigint {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  return value;
}
