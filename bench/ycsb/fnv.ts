/**
 * FNV-1a, 64-bit, exactly as YCSB's `Utils.fnvhash64(long)`: the eight bytes of the long, least
 * significant first, each XORed in and then multiplied by the FNV prime, and the result taken as a
 * signed Java long and passed through `Math.abs`. YCSB uses it twice: to name keys
 * (`buildKeyName` with hashed inserts) and to scatter zipfian ranks (ScrambledZipfianGenerator).
 * BigInt keeps the 64-bit wrap-around exact; V8 makes this ~0.1 µs a call.
 */
const fnvOffsetBasis64 = 0xcbf29ce484222325n;
const fnvPrime64 = 0x100000001b3n;
const longBytesCount = 8;

/** FNV-1a-64 of the little-endian bytes of a 64-bit integer, as an unsigned 64-bit value. */
export function fnv1a64OfLong(value: bigint): bigint {
  let remaining = BigInt.asUintN(64, value);
  let hash = fnvOffsetBasis64;
  for (let i = 0; i < longBytesCount; i++) {
    hash ^= remaining & 0xffn;
    remaining >>= 8n;
    hash = BigInt.asUintN(64, hash * fnvPrime64);
  }
  return hash;
}

/**
 * YCSB's `fnvhash64`: the hash read as a signed long, then `Math.abs`. Java's `Math.abs` leaves
 * Long.MIN_VALUE negative; we keep that quirk so every key and rank matches YCSB's.
 */
export function ycsbFnvHash64(value: number | bigint): bigint {
  const signed = BigInt.asIntN(64, fnv1a64OfLong(BigInt(value)));
  const longMin = -(1n << 63n);
  if (signed >= 0n || signed === longMin) return signed;
  return -signed;
}
