/**
 * Tree roots agree (issue 4 §8): at the end of the liveness phase every replica of every
 * partition holds a hash tree with the same root (Dynamo §4.7: replicas in sync have equal
 * trees), and each node's in-memory tree equals a tree rebuilt from scratch from its disk — which
 * catches a write the tree missed, even one every replica missed alike.
 */
import { treeFromEntries } from '../../core/antientropy/partition-trees.ts';
import type { ScannedEntry } from '../../core/antientropy/scan-types.ts';
import { preferenceList } from '../../core/ring/ring.ts';
import type { SimWorld } from '../world.ts';
import type { Violation } from './violation.ts';

/** Every entry a node's disk holds for a partition, as a scan would return it. */
export function diskEntries(world: SimWorld, node: string, partition: number): ScannedEntry[] {
  const prefix = `${partition}\u0000`;
  const entries: ScannedEntry[] = [];
  for (const [storeKey, object] of world.disk(node).entries()) {
    if (!storeKey.startsWith(prefix)) continue;
    const [, bucket, key] = storeKey.split('\u0000') as [string, string, string];
    entries.push({ bucket, key, object });
  }
  return entries;
}

/**
 * Checks each node's trees against its disk: for every N a bucket has, the tree of the keys of
 * buckets with N at least that equals a tree rebuilt from those keys on the disk.
 */
function checkTreesAgainstDisk(world: SimWorld, node: string, violations: Violation[]): void {
  const antiEntropy = world.antiEntropyOf(node);
  if (antiEntropy === null) return;
  for (let partition = 0; partition < world.ring.partitionCount; partition++) {
    const entries = diskEntries(world, node, partition);
    const counted = antiEntropy.keysCountOf(partition);
    if (antiEntropy.treeOf(partition) === undefined) {
      violations.push({ checker: 'treeRoots', message: `${node} has no settled tree of partition ${partition} at the end of the liveness phase`, entryIds: [] });
      continue;
    }
    if (counted !== entries.length) {
      violations.push({ checker: 'treeRoots', message: `${node} counts ${counted} keys in partition ${partition}, its disk holds ${entries.length}`, entryIds: [] });
    }
    const ns = new Set([0, ...entries.map((entry) => world.bucketProps(entry.bucket).n)]);
    for (const nMin of ns) {
      const rebuilt = treeFromEntries(entries.filter((entry) => world.bucketProps(entry.bucket).n >= nMin));
      const missed = antiEntropy.treeOf(partition, nMin)!.differingSegments(rebuilt);
      if (missed.length > 0) {
        const which = nMin === 0 ? '' : ` (keys of buckets with N >= ${nMin})`;
        violations.push({ checker: 'treeRoots', message: `${node}'s tree of partition ${partition}${which} differs from its disk in segment(s) ${missed.slice(0, 5).join(', ')}: a write the tree missed`, entryIds: [] });
      }
    }
  }
}

/**
 * Every pair of replicas of every partition whose roots differ, by the trees they compare: the
 * i-th and j-th nodes of the partition's walk (from 0) hold the same keys of the buckets with
 * N > max(i, j), and anti-entropy compares exactly those (core/antientropy/partition-trees.ts).
 */
function differingPairs(world: SimWorld): { partition: number; a: string; b: string; rootA: string; rootB: string }[] {
  const { ring } = world;
  const pairs: { partition: number; a: string; b: string; rootA: string; rootB: string }[] = [];
  for (let partition = 0; partition < ring.partitionCount; partition++) {
    const walk = preferenceList(ring, partition, world.replicasN);
    const roots = new Map<string, string>();
    const rootOf = (node: string, nMin: number): string => {
      const id = `${node} ${nMin}`;
      let root = roots.get(id);
      if (root === undefined) roots.set(id, (root = world.antiEntropyOf(node)?.treeOf(partition, nMin)?.root() ?? 'none'));
      return root;
    };
    for (let j = 1; j < walk.length; j++) {
      for (let i = 0; i < j; i++) {
        const rootA = rootOf(walk[i]!, j + 1);
        const rootB = rootOf(walk[j]!, j + 1);
        if (rootA !== rootB || rootA === 'none') pairs.push({ partition, a: walk[i]!, b: walk[j]!, rootA, rootB });
      }
    }
  }
  return pairs;
}

export function checkTreeRoots(world: SimWorld): Violation[] {
  const violations: Violation[] = [];
  for (const node of world.nodeNames) if (world.isUp(node)) checkTreesAgainstDisk(world, node, violations);
  for (const { partition, a, b, rootA, rootB } of differingPairs(world)) {
    violations.push({ checker: 'treeRoots', message: `replicas ${a} and ${b} of partition ${partition} hold different tree roots of the keys they share: ${a}=${rootA} ${b}=${rootB}`, entryIds: [] });
  }
  return violations;
}

/** Whether every replica pair of every partition already holds equal roots (the liveness phase's goal). */
export function treeRootsAgree(world: SimWorld): boolean {
  return differingPairs(world).length === 0;
}
