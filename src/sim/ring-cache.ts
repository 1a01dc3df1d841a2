/**
 * Rings for simulated clusters. Claim is pure but not free (it searches for a good layout), and
 * a seed run needs the same ring as the last one, so rings are computed once per shape.
 */
import { createRing } from '../core/ring/ring.ts';
import type { Ring, RingNode } from '../core/ring/types.ts';

const rings = new Map<string, Ring>();

export function simRing(nodeNames: readonly string[], partitionCount: number, n: number): Ring {
  const shape = `${nodeNames.join(',')}|${partitionCount}|${n}`;
  let ring = rings.get(shape);
  if (ring === undefined) {
    ring = createRing(nodeNames.map(simRingNode), partitionCount, n);
    rings.set(shape, ring);
  }
  return ring;
}

export function simRingNode(name: string, index: number): RingNode {
  // Addresses are never dialled in the simulator; they only make each member well-formed.
  return { name, address: `sim:${7000 + index}`, httpUrl: `http://sim:${8000 + index}`, capacity: 1 };
}
