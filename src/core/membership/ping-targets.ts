/**
 * Whom a node pings (Dynamo §4.8): the peers it shares partitions with — every node within
 * `pingNeighbourhoodN` of it in some partition's walk, which covers the preference lists of
 * every bucket it can replicate — not the whole cluster, so a ping round stays small in a big
 * ring. Cached per ring (a ring is immutable; a new view is a new object).
 */
import { limits } from '../limits.ts';
import { preferenceList } from '../ring/ring.ts';
import type { Ring } from '../ring/types.ts';

/** How far along a partition's walk a peer counts as a neighbour: the largest N a bucket may have. */
export const pingNeighbourhoodN = limits.nValMax;

const cache = new WeakMap<Ring, Map<string, readonly string[]>>();

export function pingTargets(ring: Ring, self: string): readonly string[] {
  let byNode = cache.get(ring);
  if (byNode === undefined) {
    byNode = new Map();
    cache.set(ring, byNode);
  }
  let targets = byNode.get(self);
  if (targets === undefined) {
    targets = neighbours(ring, self);
    byNode.set(self, targets);
  }
  return targets;
}

function neighbours(ring: Ring, self: string): readonly string[] {
  const found = new Set<string>();
  for (let partition = 0; partition < ring.partitionCount; partition++) {
    const list = preferenceList(ring, partition, pingNeighbourhoodN);
    if (list.includes(self)) for (const node of list) found.add(node);
  }
  found.delete(self);
  return Object.freeze([...found].sort());
}
