/**
 * The ring as clients see it: what `GET /v1/ring` answers and the binary protocol's `ring` op
 * returns, the same data both ways, so a client routes alike whichever protocol it speaks.
 */
import { preferenceList } from '../core/ring/ring.ts';
import type { Ring } from '../core/ring/types.ts';

export interface RingNodeDescription {
  readonly name: string;
  readonly address: string;
  readonly httpUrl: string;
  /** null when the node has no binary client port (clients use httpUrl). */
  readonly clientAddress: string | null;
  readonly zone: string | null;
  readonly capacity: number;
}

export interface RingDescription {
  readonly version: number;
  readonly partitionCount: number;
  /** Length of each preference list: the largest N of any bucket, at most the owners' count. */
  readonly n: number;
  readonly nodes: readonly RingNodeDescription[];
  readonly partitions: readonly { readonly partition: number; readonly owner: string; readonly preferenceList: readonly string[] }[];
}

export function describeRing(ring: Ring, n: number): RingDescription {
  return {
    version: ring.version,
    partitionCount: ring.partitionCount,
    n,
    nodes: [...ring.nodes.values()].map(({ name, address, httpUrl, clientAddress, zone, capacity }) => ({ name, address, httpUrl, clientAddress: clientAddress ?? null, zone: zone ?? null, capacity })),
    partitions: ring.owners.map((owner, partition) => ({ partition, owner, preferenceList: preferenceList(ring, partition, n) })),
  };
}
