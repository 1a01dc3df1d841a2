/**
 * The ring as clients see it: what `GET /v1/ring` answers and the binary protocol's `ring` op
 * returns, the same data both ways, so a client routes alike whichever protocol it speaks.
 */
import { preferenceList } from '../core/ring/ring.ts';
import type { Ring } from '../core/ring/types.ts';
import type { RingDescription } from '../wire/client-protocol.ts';

export function describeRing(ring: Ring, n: number): RingDescription {
  return {
    version: ring.version,
    partitionCount: ring.partitionCount,
    n,
    nodes: [...ring.nodes.values()].map(({ name, address, httpUrl, clientAddress, zone, capacity }) => ({ name, address, httpUrl, clientAddress: clientAddress ?? null, zone: zone ?? null, capacity })),
    partitions: ring.owners.map((owner, partition) => ({ partition, owner, preferenceList: preferenceList(ring, partition, n) })),
  };
}
