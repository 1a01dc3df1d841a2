/**
 * Spread: a key's replicas are the owners met walking clockwise from its partition (Dynamo
 * §4.3), so the ring is only as good as its windows of N consecutive partitions. A window whose
 * owners repeat a node (or a zone) gives its keys fewer distinct replicas in the first N
 * partitions; the preference list then skips further ahead, which keeps correctness but loads
 * some nodes with more replicas than their share. These helpers measure that.
 */

/** The zone of a node, or undefined when it has none (it is then a failure domain of its own). */
export type ZoneOf = (name: string) => string | undefined;

/**
 * Windows of `min(targetN, Q)` consecutive partitions (cyclically: Q windows, one starting at
 * each partition) whose owners are not all distinct — or, with `zoneOf`, whose owners' zones are
 * not all distinct. Zero means every key's first N partitions name N different nodes (zones).
 */
export function spreadViolations(owners: readonly string[], targetN: number, zoneOf?: ZoneOf): number {
  const partitionCount = owners.length;
  if (partitionCount === 0) return 0;
  const window = Math.min(targetN, partitionCount);
  const domains = domainIndices(owners, zoneOf);
  const inWindow = new Int32Array(partitionCount);
  let repeats = 0;
  const enter = (p: number): void => {
    const d = domains[p % partitionCount]!;
    if (inWindow[d]! > 0) repeats++;
    inWindow[d]!++;
  };
  const leave = (p: number): void => {
    const d = domains[p % partitionCount]!;
    inWindow[d]!--;
    if (inWindow[d]! > 0) repeats--;
  };
  for (let p = 0; p < window; p++) enter(p);
  let violations = 0;
  for (let start = 0; start < partitionCount; start++) {
    if (repeats > 0) violations++;
    leave(start);
    enter(start + window);
  }
  return violations;
}

/**
 * Whether a ring of Q partitions can have every window of w = min(N, Q) partitions on w distinct
 * failure domains, given `domainCount` domains (zones, or nodes when no zones are given).
 *
 * Exact condition: domainCount * floor(Q / w) >= Q. Necessary: two partitions of one domain must
 * be at least w apart both ways round the ring, so a domain holds at most floor(Q / w) of them.
 * Sufficient: claim-layout.ts builds such a ring for any counts that are each <= floor(Q / w).
 * Example: 3 nodes, N = 3, Q = 64 is infeasible (3 * 21 < 64); 4 nodes are enough.
 */
export function isSpreadFeasible(domainCount: number, partitionCount: number, targetN: number): boolean {
  const window = Math.min(targetN, partitionCount);
  return domainCount * Math.floor(partitionCount / window) >= partitionCount;
}

/** The most partitions one domain can hold while every window stays distinct: floor(Q / w). */
export function domainPartitionsMax(partitionCount: number, targetN: number): number {
  return Math.floor(partitionCount / Math.min(targetN, partitionCount));
}

function domainIndices(owners: readonly string[], zoneOf: ZoneOf | undefined): Int32Array {
  const ids = new Map<string, number>();
  const domains = new Int32Array(owners.length);
  owners.forEach((owner, p) => {
    const zone = zoneOf?.(owner);
    // Prefixes keep a zone named like a node apart from that node.
    const key = zone === undefined ? `node:${owner}` : `zone:${zone}`;
    let id = ids.get(key);
    if (id === undefined) {
      id = ids.size;
      ids.set(key, id);
    }
    domains[p] = id;
  });
  return domains;
}
