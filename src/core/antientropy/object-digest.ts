/**
 * What a hash tree hashes for one key (Dynamo §4.7: "leaves are hashes of the values of
 * individual keys"). The digest must be canonical — two replicas holding the same siblings and
 * the same causal context compute the same digest — so it covers exactly the fields that
 * `objectsEqual` compares, in their stored (sorted) order, and never the encoding on disk.
 * It names the bucket and key too, so that equal objects under different keys do not cancel
 * out when XOR-ed into one segment.
 */
import { createHash } from 'node:crypto';
import { keyHash } from '../ring/hash.ts';
import type { StoredObject } from '../version/types.ts';
import { segmentsCount } from './hash-tree.ts';

/** A key's digest: 64 bits as 16 lowercase hex digits (what the exchange sends). */
export type KeyDigest = string;

/** Digest of `object` stored under bucket/key; null when nothing is stored (no leaf). */
export function keyDigest(bucket: string, key: string, object: StoredObject | null): KeyDigest | null {
  if (object === null) return null;
  const hash = createHash('sha256');
  // JSON gives every string an unambiguous delimited form; values follow as raw bytes, their
  // lengths fixed by the JSON part.
  const siblings = object.siblings.map((s) => [s.dot[0], s.dot[1], s.lastModifiedMs, s.deleted, s.contentType, s.value.length]);
  hash.update(JSON.stringify([bucket, key, siblings, object.context.clock, object.context.dots]));
  for (const sibling of object.siblings) hash.update(sibling.value);
  return hash.digest('hex').slice(0, 16);
}

/**
 * The segment a key's leaf lives in: from bytes 2-3 of the key's ring hash, which do not
 * decide the partition (bytes 0-1 do), so a partition's keys spread over all segments.
 */
export function segmentOf(bucket: string, key: string): number {
  const hash = keyHash(bucket, key);
  return ((hash[2]! << 8) | hash[3]!) % segmentsCount;
}

/** Identity of a key within a partition (maps and sets key on it). */
export function keyIdOf(bucket: string, key: string): string {
  return `${bucket}\u0000${key}`;
}
