/** What the replicas of a key hold right now, read straight off the simulated disks. */
import { partitionOf } from '../../core/ring/hash.ts';
import { preferenceList } from '../../core/ring/ring.ts';
import { mergeObjects, objectsEqual } from '../../core/version/object.ts';
import type { StoredObject } from '../../core/version/types.ts';
import type { Oracle } from '../oracle.ts';
import type { SimWorld } from '../world.ts';

export interface ReplicaState {
  readonly node: string;
  readonly object: StoredObject | null;
}

/** The key's N replicas (its preference list) and what each stores. */
export function replicaStates(world: SimWorld, bucket: string, key: string): ReplicaState[] {
  const partition = partitionOf(bucket, key, world.ring.partitionCount);
  return preferenceList(world.ring, partition, world.config.bucketProps.n).map((node) => ({
    node,
    object: world.disk(node).get(partition, bucket, key),
  }));
}

/** Every node that stores anything for the key (replicas, and any other node that should not). */
export function allCopies(world: SimWorld, bucket: string, key: string): ReplicaState[] {
  const partition = partitionOf(bucket, key, world.ring.partitionCount);
  return world.nodeNames.map((node) => ({ node, object: world.disk(node).get(partition, bucket, key) })).filter((state) => state.object !== null);
}

export function replicasAgree(states: readonly ReplicaState[]): boolean {
  const first = states[0]?.object ?? null;
  return states.every((state) => (state.object === null ? first === null : first !== null && objectsEqual(state.object, first)));
}

/** The join of every copy of the key in the cluster: what the key holds once all is repaired. */
export function joinedObject(world: SimWorld, bucket: string, key: string): StoredObject | null {
  return joinAll(world, allCopies(world, bucket, key).map(({ object }) => object!));
}

/**
 * The key's final object as if no tombstone had been collected: the join of every copy on every
 * disk and of every tombstone a collection round removed (oracle.ts). A round removes only an
 * object that every replica held exactly (docs/handoff.md, "Planned: collection rounds…"), so
 * joining it back gives what the disks would hold had they kept it — and an acknowledged delete,
 * or what it superseded, is still found there. (That a round removes only tombstones, and so
 * hides no live value by this, the durability checker checks.)
 */
export function finalObject(world: SimWorld, oracle: Oracle, bucket: string, key: string): StoredObject | null {
  const collected = oracle.collectionsOf(bucket, key).map((collection) => collection.object);
  return joinAll(world, [...allCopies(world, bucket, key).map(({ object }) => object!), ...collected]);
}

function joinAll(world: SimWorld, objects: readonly StoredObject[]): StoredObject | null {
  let joined: StoredObject | null = null;
  for (const object of objects) joined = joined === null ? object : mergeObjects(joined, object, world.config.bucketProps.resolution);
  return joined;
}
