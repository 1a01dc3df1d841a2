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

/** Node → root of each of its partitions' trees, or a violation when a tree is missing or wrong. */
function nodeRoots(world: SimWorld, node: string, violations: Violation[]): Map<number, string> {
  const roots = new Map<number, string>();
  const antiEntropy = world.antiEntropyOf(node);
  if (antiEntropy === null) return roots;
  for (let partition = 0; partition < world.ring.partitionCount; partition++) {
    const tree = antiEntropy.treeOf(partition);
    if (tree === undefined) {
      violations.push({ checker: 'treeRoots', message: `${node} has no settled tree of partition ${partition} at the end of the liveness phase`, entryIds: [] });
      continue;
    }
    const entries = diskEntries(world, node, partition);
    const rebuilt = treeFromEntries(entries);
    const counted = antiEntropy.keysCountOf(partition);
    if (counted !== entries.length) {
      violations.push({ checker: 'treeRoots', message: `${node} counts ${counted} keys in partition ${partition}, its disk holds ${entries.length}`, entryIds: [] });
    }
    const missed = tree.differingSegments(rebuilt);
    if (missed.length > 0) {
      violations.push({ checker: 'treeRoots', message: `${node}'s tree of partition ${partition} differs from its disk in segment(s) ${missed.slice(0, 5).join(', ')}: a write the tree missed`, entryIds: [] });
    }
    roots.set(partition, tree.root());
  }
  return roots;
}

export function checkTreeRoots(world: SimWorld): Violation[] {
  const violations: Violation[] = [];
  const roots = new Map(world.nodeNames.filter((node) => world.isUp(node)).map((node) => [node, nodeRoots(world, node, violations)]));
  const { ring } = world;
  for (let partition = 0; partition < ring.partitionCount; partition++) {
    const replicas = preferenceList(ring, partition, world.config.bucketProps.n);
    const held = replicas.map((node) => `${node}=${roots.get(node)?.get(partition) ?? 'none'}`);
    if (new Set(replicas.map((node) => roots.get(node)?.get(partition))).size > 1) {
      violations.push({ checker: 'treeRoots', message: `replicas of partition ${partition} hold different tree roots: ${held.join(' ')}`, entryIds: [] });
    }
  }
  return violations;
}

/** Whether every replica pair of every partition already holds equal roots (the liveness phase's goal). */
export function treeRootsAgree(world: SimWorld): boolean {
  const { ring } = world;
  for (let partition = 0; partition < ring.partitionCount; partition++) {
    const roots = preferenceList(ring, partition, world.config.bucketProps.n).map((node) => world.antiEntropyOf(node)?.treeOf(partition)?.root());
    if (roots.some((root) => root === undefined) || new Set(roots).size > 1) return false;
  }
  return true;
}
