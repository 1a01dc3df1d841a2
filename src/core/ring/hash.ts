/**
 * Keys to ring positions and ring positions to partitions (Dynamo §4.2: MD5 of the key gives a
 * 128-bit position on the ring; §6.2 strategy 3: the ring is cut into Q equal partitions).
 * This runs on every request, so it does the least work it can.
 */
import { hash as digest } from 'node:crypto';
import { assertFailed } from '../assert.ts';
import { limits } from '../limits.ts';

/** Separates bucket from key in the hashed bytes; bucket names never contain it. */
const bucketKeySeparator = '\u0000';

/** We read the partition from the first two bytes of the hash, so Q may be at most 2^16. */
const partitionBitsMax = 16;

/**
 * MD5 of the UTF-8 bytes of `bucket NUL key` (16 bytes, big-endian ring position). The array may
 * be shared with the previous caller that hashed the same key: read it, never modify it.
 * `crypto.hash` (one call, no Hash object) measured ~1.7x faster than createHash here.
 *
 * No cache of hashed keys beyond the last one: a two-generation cache of 2 x 16,384 keys cost
 * more than the MD5s it saved (a lookup of a freshly decoded key walks a large, cache-cold Map,
 * and its thousands of long-lived arrays make the old generation's GC dearer) — YCSB-A C = 64
 * with 100,000 records measured 9-17 µs per operation less without it (docs/benchmarks.md).
 */
export function keyHash(bucket: string, key: string): Uint8Array {
  if (key === lastKey && bucket === lastBucket) return lastHash;
  const hash = md5(bucket + bucketKeySeparator + key);
  lastBucket = bucket;
  lastKey = key;
  lastHash = hash;
  return hash;
}

/**
 * The last key hashed, and its hash. A write is hashed by its message check, then by the
 * anti-entropy tree once it is stored, in the same turn: two of every five lookups (measured
 * under YCSB-A) are of the key just looked up, and comparing two hot strings costs far less
 * than an MD5.
 */
let lastBucket = '';
let lastKey = '';
let lastHash = md5(bucketKeySeparator);

/**
 * As a 'binary' string copied into a 16-byte array, which V8 keeps on its own heap: a 'buffer'
 * digest has memory of its own outside it, which costs the GC's sweeper work.
 */
function md5(text: string): Uint8Array {
  const bytes = digest('md5', text, 'binary');
  const hash = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) hash[i] = bytes.charCodeAt(i);
  return hash;
}

/**
 * The partition holding a ring position: its top log2(Q) bits, so partition p covers the p-th
 * of Q equal slices of the ring, clockwise from zero.
 */
export function partitionOfHash(hash: Uint8Array, partitionCount: number): number {
  const bits = 31 - Math.clz32(partitionCount);
  if (!(partitionCount === 1 << bits && bits <= partitionBitsMax && hash.length >= 2)) {
    assertFailed(`partition count ${partitionCount} is not a power of two <= 2^16, or hash of ${hash.length} bytes is too short`);
  }
  const top16 = (hash[0]! << 8) | hash[1]!;
  return top16 >>> (partitionBitsMax - bits);
}

export function partitionOf(bucket: string, key: string, partitionCount: number): number {
  return partitionOfHash(keyHash(bucket, key), partitionCount);
}

/** Q must be a power of two (so a partition is a prefix of the hash) within the configured limits. */
export function isValidPartitionCount(partitionCount: number): boolean {
  return (
    isPowerOfTwo(partitionCount) &&
    partitionCount >= limits.partitionCountMin &&
    partitionCount <= limits.partitionCountMax
  );
}

function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && n <= 2 ** 30 && (n & (n - 1)) === 0;
}
