/**
 * Strays swept (issue 4 §5, Dynamo §4.9): once membership settles, no node holds data of a key it
 * does not replicate in the final ring. Leavers, old owners, aborted joiners and nodes that took
 * writes under an older view hand such copies to the replicas and drop them
 * (core/membership/stray-sweeper.ts); a copy still held at the end is disk nobody reclaims and
 * a version no repair looks after.
 */
import { preferenceList } from '../../core/ring/ring.ts';
import type { SimWorld } from '../world.ts';
import type { Violation } from './violation.ts';

/** Every object on a disk whose node is not among its key's replicas (for its bucket's N): node and key. */
export function strayCopies(world: SimWorld): { node: string; bucket: string; key: string }[] {
  const strays: { node: string; bucket: string; key: string }[] = [];
  for (const node of world.nodeNames) {
    for (const [storeKey] of world.disk(node).entries()) {
      const [partition, bucket, key] = storeKey.split('\u0000') as [string, string, string];
      if (!preferenceList(world.ring, Number(partition), world.bucketProps(bucket).n).includes(node)) strays.push({ node, bucket, key });
    }
  }
  return strays;
}

export function checkStraysSwept(world: SimWorld): Violation[] {
  return strayCopies(world).map(({ node, bucket, key }) => ({
    checker: 'strays',
    message: `at the end ${node} still holds ${bucket}/${key}, which it does not replicate`,
    bucket,
    key,
    entryIds: [],
  }));
}
