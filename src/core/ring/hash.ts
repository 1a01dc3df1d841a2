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
 * Recently hashed keys. One request's key is hashed by its coordinator, by each replica's message
 * check, by the store path and by the anti-entropy tree: one MD5 (1.1 µs and a fresh buffer
 * outside V8's heap) serves them all. By bucket, then key, so that a lookup hashes the strings
 * it is given (once per string: V8 keeps a string's hash) rather than a new concatenation of them
 * (~0.2 µs each time). Two generations of at most `keyHashCacheEntriesMax` keys each: when the
 * young one fills it becomes the old one, so hot keys stay and memory stays bounded (keys longer
 * than `keyHashCachedKeyCharsMax` are hashed every time, for the same reason).
 */
export const keyHashCacheEntriesMax = 16_384;
export const keyHashCachedKeyCharsMax = 256;
type HashesByBucket = Map<string, Map<string, Uint8Array>>;
let youngHashes: HashesByBucket = new Map();
let youngHashesCount = 0;
let oldHashes: HashesByBucket = new Map();

/**
 * MD5 of the UTF-8 bytes of `bucket NUL key` (16 bytes, big-endian ring position). The array is
 * shared by every caller that hashes the same key: read it, never modify it.
 * `crypto.hash` (one call, no Hash object) measured ~1.7x faster than createHash here.
 */
export function keyHash(bucket: string, key: string): Uint8Array {
  if (key === lastKey && bucket === lastBucket) return lastHash;
  const hash = youngHashes.get(bucket)?.get(key) ?? hashedBefore(bucket, key);
  lastBucket = bucket;
  lastKey = key;
  lastHash = hash;
  return hash;
}

/**
 * The last key hashed, and its hash. A write is hashed by its message check, then by the
 * anti-entropy tree once it is stored, in the same turn: two of every five lookups (measured
 * under YCSB-A) are of the key just looked up, and comparing two hot strings costs far less
 * than a lookup in the cache's large maps, whose entries are rarely in the CPU's cache.
 */
let lastBucket = '';
let lastKey = '';
let lastHash = md5(bucketKeySeparator);

function hashedBefore(bucket: string, key: string): Uint8Array {
  const hash = oldHashes.get(bucket)?.get(key) ?? md5(bucket + bucketKeySeparator + key);
  if (key.length <= keyHashCachedKeyCharsMax) remember(bucket, key, hash);
  return hash;
}

/**
 * As a 'binary' string copied into a 16-byte array, which V8 keeps on its own heap: a 'buffer'
 * digest has memory of its own outside it, and thousands of them kept here would each cost the
 * GC's sweeper work.
 */
function md5(text: string): Uint8Array {
  const bytes = digest('md5', text, 'binary');
  const hash = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) hash[i] = bytes.charCodeAt(i);
  return hash;
}

function remember(bucket: string, key: string, hash: Uint8Array): void {
  if (youngHashesCount >= keyHashCacheEntriesMax) {
    oldHashes = youngHashes;
    youngHashes = new Map();
    youngHashesCount = 0;
  }
  let ofBucket = youngHashes.get(bucket);
  if (ofBucket === undefined) youngHashes.set(bucket, (ofBucket = new Map()));
  ofBucket.set(key, hash);
  youngHashesCount++;
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
