/**
 * What a hash tree hashes for one key (Dynamo §4.7: "leaves are hashes of the values of
 * individual keys"). The digest must be canonical — two replicas holding the same siblings and
 * the same causal context compute the same digest. The object's encoding is (core/version/
 * codec.ts: every array sorted, the same fields `objectsEqual` compares), and it is at hand
 * without work on every write — encoded once for the disk, or read from it — so the digest is a
 * hash of those bytes: one MD5 of ~100–200 bytes, no serialising, per version.
 * The key's own ring hash is folded in, so that equal objects under different keys do not
 * cancel out when XOR-ed into one segment.
 */
import { hash } from 'node:crypto';
import { keyHash } from '../ring/hash.ts';
import { encodeObject } from '../version/codec.ts';
import type { StoredObject } from '../version/types.ts';
import { hexOfWords, segmentsCount } from './hash-tree.ts';

/** A key's digest: 64 bits as 16 lowercase hex digits (what the exchange sends). */
export type KeyDigest = string;

const digestScratch = new Uint32Array(2);

/** Digest of `object` stored under bucket/key; null when nothing is stored (no leaf). */
export function keyDigest(bucket: string, key: string, object: StoredObject | null): KeyDigest | null {
  return objectDigest(keyHash(bucket, key), object);
}

/**
 * Digest of `object` under the key whose ring hash is `ofKey` (keyHash): 8 bytes of the MD5 of
 * its encoding XOR bytes 8-15 of the key's hash (bytes 0-3 place the key: partition, segment).
 */
export function objectDigest(ofKey: Uint8Array, object: StoredObject | null): KeyDigest | null {
  return objectDigestInto(ofKey, object, digestScratch, 0) ? hexOfWords(digestScratch[0]!, digestScratch[1]!) : null;
}

/**
 * The same digest as two 32-bit words (bytes 0–3 and 4–7, big-endian) written to `words` at `at`
 * and `at + 1`, for the hash tree's XOR on every write: no hex string to build and parse back.
 * False when nothing is stored (no leaf), and `words` is left as it was.
 */
export function objectDigestInto(ofKey: Uint8Array, object: StoredObject | null, words: Uint32Array, at: number): boolean {
  if (object === null) return false;
  // As a 'binary' (latin1) string, one char per byte: no buffer outside V8's heap to allocate and sweep.
  const ofObject = hash('md5', encodeObject(object), 'binary');
  words[at] = digestWord(ofObject, ofKey, 0);
  words[at + 1] = digestWord(ofObject, ofKey, 4);
  return true;
}

/** Bytes `from`…`from + 3` of the object's MD5, each XOR the key's hash 8 bytes on, big-endian. */
function digestWord(ofObject: string, ofKey: Uint8Array, from: number): number {
  return (
    (((ofObject.charCodeAt(from) ^ ofKey[8 + from]!) << 24) |
      ((ofObject.charCodeAt(from + 1) ^ ofKey[9 + from]!) << 16) |
      ((ofObject.charCodeAt(from + 2) ^ ofKey[10 + from]!) << 8) |
      (ofObject.charCodeAt(from + 3) ^ ofKey[11 + from]!)) >>>
    0
  );
}

/**
 * The segment a key's leaf lives in: from bytes 2-3 of the key's ring hash, which do not
 * decide the partition (bytes 0-1 do), so a partition's keys spread over all segments.
 */
export function segmentOf(bucket: string, key: string): number {
  return segmentOfHash(keyHash(bucket, key));
}

export function segmentOfHash(ofKey: Uint8Array): number {
  return ((ofKey[2]! << 8) | ofKey[3]!) % segmentsCount;
}

/** Identity of a key within a partition (maps and sets key on it). */
export function keyIdOf(bucket: string, key: string): string {
  return `${bucket}\u0000${key}`;
}
