/**
 * A coverage plan (Riak's name for it): which replica to ask for each partition so that the
 * answers together cover every key once. Dynamo has no listing; its preference lists (§4.3) say
 * who holds a partition, and one holder per partition is enough to read it whole — the cost of a
 * listing is one read of every partition, whatever the page size, which docs/api.md states.
 *
 * Each partition's candidates are its first `n` replicas, in the order to try them: `first` when
 * it is one (this node: no hop), then those its failure detector takes to be reachable (Dynamo
 * §4.8), in preference-list order, then the others — tried last, when every better one failed.
 * A listing of bucket names passes no `first`: the primary holds the keys of every bucket, even
 * one of a smaller N.
 */
import { preferenceList } from '../ring/ring.ts';
import type { Ring } from '../ring/types.ts';

export function coveragePlan(ring: Ring, n: number, first: string | null, isReachable: (node: string) => boolean): string[][] {
  const plan: string[][] = [];
  for (let partition = 0; partition < ring.partitionCount; partition++) {
    const replicas = preferenceList(ring, partition, n);
    const rank = (node: string): number => (node === first ? 0 : isReachable(node) ? 1 : 2);
    // Array.prototype.sort is stable: within a rank, preference-list order stays.
    plan.push([...replicas].sort((a, b) => rank(a) - rank(b)));
  }
  return plan;
}
