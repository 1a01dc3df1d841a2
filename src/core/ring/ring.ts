/**
 * The ring: Q partitions, each with one owner chosen by claim (Dynamo §6.2 strategy 3), and the
 * preference lists derived from it (Dynamo §4.3): a key's replicas are the first N distinct
 * nodes met walking clockwise from its partition, and the nodes after them are the fallbacks a
 * sloppy quorum writes hints to (Dynamo §4.6).
 */
import { assert, assertFailed } from '../assert.ts';
import { claim } from './claim.ts';
import type { Ring, RingNode } from './types.ts';

/**
 * A ring for these nodes. With `previous`, claim moves as few partitions as it can from the
 * previous owners, and the version is one more than the previous one (gossip orders views by it).
 */
export function createRing(nodes: readonly RingNode[], partitionCount: number, targetN: number, previous?: Ring): Ring {
  const owners = claim(previous?.owners, nodes, partitionCount, targetN);
  const byName = [...nodes].sort((a, b) => compareCodeUnits(a.name, b.name));
  return Object.freeze({
    partitionCount,
    owners: Object.freeze(owners),
    nodes: new Map(byName.map((node) => [node.name, node])),
    version: previous === undefined ? 1 : previous.version + 1,
  });
}

/**
 * The first n distinct nodes walking clockwise from `partition` (fewer if the ring has fewer
 * nodes): the replicas of every key in that partition. A fresh array the caller may keep.
 */
export function preferenceList(ring: Ring, partition: number, n: number): string[] {
  return cachedPreferenceList(ring, partition, n).slice();
}

/**
 * The same list without the copy, for callers on the path of every write that only read it
 * (membership's check of each local write). It is this module's cached array: never changed.
 */
export function sharedPreferenceList(ring: Ring, partition: number, n: number): readonly string[] {
  return cachedPreferenceList(ring, partition, n);
}

/**
 * Every node in walk order from `partition`: the first n are the preference list, the rest the
 * fallbacks for sloppy quorum, nearest first. Nodes that own no partition (when there are more
 * nodes than partitions, or a joiner before its transfers) come last, by name, so they can still
 * hold hints — and replicas, when fewer than N nodes own partitions. Cached per ring:
 * the array is shared and frozen.
 */
export function extendedPreferenceList(ring: Ring, partition: number): readonly string[] {
  const cache = cacheOf(ring, partition);
  return (cache.extended[partition] ??= Object.freeze(walk(ring, partition, ring.nodes.size)));
}

/** The partitions whose preference list of length n includes `nodeName`: the keys it replicates. */
export function ownedPartitions(ring: Ring, nodeName: string, n: number): number[] {
  const owned: number[] = [];
  for (let p = 0; p < ring.partitionCount; p++) if (cachedPreferenceList(ring, p, n).includes(nodeName)) owned.push(p);
  return owned;
}

/**
 * Walks are computed on first use and kept per ring object (a ring is immutable, and a new view
 * of the cluster is a new ring), so a request pays a lookup (and a short copy, unless it only
 * reads the list). Preference lists are cached apart from extended lists: with spread, a list of
 * n takes n steps of the walk, while the full walk may need most of the ring.
 */
interface WalkCache {
  readonly extended: (readonly string[] | undefined)[];
  readonly byLength: Map<number, (readonly string[] | undefined)[]>;
}

const walkCaches = new WeakMap<Ring, WalkCache>();

function cacheOf(ring: Ring, partition: number): WalkCache {
  if (!(Number.isInteger(partition) && partition >= 0 && partition < ring.partitionCount)) {
    assertFailed(`partition ${partition} outside 0..${ring.partitionCount - 1}`);
  }
  let cache = walkCaches.get(ring);
  if (cache === undefined) {
    assert(ring.owners.length === ring.partitionCount, 'ring has an owner per partition');
    cache = { extended: new Array<readonly string[] | undefined>(ring.partitionCount), byLength: new Map() };
    walkCaches.set(ring, cache);
  }
  return cache;
}

function cachedPreferenceList(ring: Ring, partition: number, n: number): readonly string[] {
  if (!(Number.isInteger(n) && n >= 0)) assertFailed(`preference list length must be a non-negative integer, got ${n}`);
  const cache = cacheOf(ring, partition);
  let lists = cache.byLength.get(n);
  if (lists === undefined) {
    lists = new Array<readonly string[] | undefined>(ring.partitionCount);
    cache.byLength.set(n, lists);
  }
  // Not frozen (slicing a frozen array is ~20x slower): callers get a copy (`preferenceList`) or,
  // from `sharedPreferenceList`, this array typed readonly.
  return (lists[partition] ??= walk(ring, partition, n));
}

/** The first `count` distinct nodes from `partition` clockwise, then non-owners by name. */
function walk(ring: Ring, partition: number, count: number): string[] {
  const found: string[] = [];
  const seen = new Set<string>();
  const q = ring.partitionCount;
  for (let step = 0; step < q && found.length < count; step++) {
    const owner = ring.owners[(partition + step) % q]!;
    if (seen.has(owner)) continue;
    seen.add(owner);
    found.push(owner);
  }
  if (found.length < count) {
    const ownsNothing = [...ring.nodes.keys()].filter((name) => !seen.has(name)).sort(compareCodeUnits);
    found.push(...ownsNothing.slice(0, count - found.length));
  }
  return found;
}

function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
