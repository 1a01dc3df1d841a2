/**
 * Rings for simulated clusters. Claim is pure but not free (it searches for a good layout), and
 * a seed run needs the same ring as the last one, so rings are computed once per shape.
 */
import { createRing } from '../core/ring/ring.ts';
import type { Ring, RingNode } from '../core/ring/types.ts';

const rings = new Map<string, Ring>();

export function simRing(nodeNames: readonly string[], partitionCount: number, n: number, zonesCount = 0): Ring {
  const shape = `${nodeNames.join(',')}|${partitionCount}|${n}|${zonesCount}`;
  let ring = rings.get(shape);
  if (ring === undefined) {
    ring = createRing(nodeNames.map((name, index) => simRingNode(name, index, zonesCount)), partitionCount, n);
    rings.set(shape, ring);
  }
  return ring;
}

/** The i-th node (from 0) of a cluster: in zone `z(i mod zonesCount + 1)`, or in none when zonesCount is 0. */
export function simRingNode(name: string, index: number, zonesCount = 0): RingNode {
  // Addresses are never dialled in the simulator; they only make each member well-formed.
  const node = { name, address: `sim:${7000 + index}`, httpUrl: `http://sim:${8000 + index}`, capacity: 1 };
  return zonesCount > 0 ? { ...node, zone: `z${(index % zonesCount) + 1}` } : node;
}
