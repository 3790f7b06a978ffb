/**
 * Just enough P-256 arithmetic to check keys synchronously at start-up and
 * at the API's edge: whether 65 bytes are an uncompressed point on the curve
 * (WebCrypto's raw import in Deno takes points that are not), and the public
 * point of a private scalar (so a VAPID pair that does not match is refused
 * before any push is signed with it). BigInt, Jacobian coordinates: about a
 * millisecond per multiplication, run once per isolate.
 */
const P = 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn;
const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const B = 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn;
const GX = 0x6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296n;
const GY = 0x4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5n;

/** A point in Jacobian coordinates; z = 0 is the point at infinity. */
interface Jacobian {
  x: bigint;
  y: bigint;
  z: bigint;
}

const mod = (a: bigint) => ((a % P) + P) % P;

function toBigInt(bytes: Uint8Array): bigint {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  return value;
}

function toBytes(value: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 31; i >= 0; i--) {
    out[i] = Number(value & 0xffn);
    value >>= 8n;
  }
  return out;
}

/** Whether `raw` is 0x04 ‖ x ‖ y with y² = x³ − 3x + b (mod p). */
export function isP256Point(raw: Uint8Array): boolean {
  if (raw.length !== 65 || raw[0] !== 0x04) return false;
  const x = toBigInt(raw.subarray(1, 33));
  const y = toBigInt(raw.subarray(33, 65));
  if (x >= P || y >= P) return false;
  return mod(y * y) === mod(x * x * x - 3n * x + B);
}

function double(p: Jacobian): Jacobian {
  if (p.z === 0n || p.y === 0n) return { x: 0n, y: 1n, z: 0n };
  const ysq = mod(p.y * p.y);
  const s = mod(4n * p.x * ysq);
  const zsq = mod(p.z * p.z);
  const m = mod(3n * (p.x - zsq) * (p.x + zsq));
  const x = mod(m * m - 2n * s);
  return {
    x,
    y: mod(m * (s - x) - 8n * ysq * ysq),
    z: mod(2n * p.y * p.z),
  };
}

function add(p: Jacobian, q: Jacobian): Jacobian {
  if (p.z === 0n) return q;
  if (q.z === 0n) return p;
  const pz2 = mod(p.z * p.z);
  const qz2 = mod(q.z * q.z);
  const u1 = mod(p.x * qz2);
  const u2 = mod(q.x * pz2);
  const s1 = mod(p.y * qz2 * q.z);
  const s2 = mod(q.y * pz2 * p.z);
  if (u1 === u2) return s1 === s2 ? double(p) : { x: 0n, y: 1n, z: 0n };
  const h = mod(u2 - u1);
  const r = mod(s2 - s1);
  const h2 = mod(h * h);
  const h3 = mod(h2 * h);
  const x = mod(r * r - h3 - 2n * u1 * h2);
  return {
    x,
    y: mod(r * (u1 * h2 - x) - s1 * h3),
    z: mod(h * p.z * q.z),
  };
}

function inverse(a: bigint): bigint {
  // Fermat: a^(p-2) mod p.
  let result = 1n;
  let base = mod(a);
  let exp = P - 2n;
  while (exp > 0n) {
    if (exp & 1n) result = (result * base) % P;
    base = (base * base) % P;
    exp >>= 1n;
  }
  return result;
}

/**
 * The uncompressed public point (65 bytes) of a 32-byte private scalar, or
 * null when the scalar is not one (0, or not below the group order).
 */
export function p256PublicKeyOf(privateKey: Uint8Array): Uint8Array | null {
  if (privateKey.length !== 32) return null;
  const d = toBigInt(privateKey);
  if (d === 0n || d >= N) return null;
  let result: Jacobian = { x: 0n, y: 1n, z: 0n };
  for (let bit = 255n; bit >= 0n; bit--) {
    result = double(result);
    if ((d >> bit) & 1n) result = add(result, { x: GX, y: GY, z: 1n });
  }
  const zi = inverse(result.z);
  const zi2 = mod(zi * zi);
  const out = new Uint8Array(65);
  out[0] = 0x04;
  out.set(toBytes(mod(result.x * zi2)), 1);
  out.set(toBytes(mod(result.y * zi2 * zi)), 33);
  return out;
}
