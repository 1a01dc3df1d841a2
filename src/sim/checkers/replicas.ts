/**
 * What the replicas of a key hold right now, read straight off the simulated disks; whether they
 * agree and what they join to, by the reference model (model/objects.ts), not the core's merge.
 */
import { preferenceList } from '../../core/ring/ring.ts';
import type { Sibling, StoredObject } from '../../core/version/types.ts';
import { joinAll, modelObject, objectsAgree, type ModelObject } from '../model/index.ts';
import type { Oracle } from '../oracle.ts';
import type { SimWorld } from '../world.ts';

export interface ReplicaState {
  readonly node: string;
  readonly object: StoredObject | null;
}

/** The key's N replicas (its preference list for its bucket's N) and what each stores. */
export function replicaStates(world: SimWorld, bucket: string, key: string): ReplicaState[] {
  const partition = world.partitionOf(bucket, key);
  return preferenceList(world.ring, partition, world.bucketProps(bucket).n).map((node) => ({
    node,
    object: world.disk(node).get(partition, bucket, key),
  }));
}

/** Every node that stores anything for the key (replicas, and any other node that should not). */
export function allCopies(world: SimWorld, bucket: string, key: string): ReplicaState[] {
  const partition = world.partitionOf(bucket, key);
  return world.nodeNames.map((node) => ({ node, object: world.disk(node).get(partition, bucket, key) })).filter((state) => state.object !== null);
}

/** Every replica holds the same siblings (dots and contents) and the same causal history, or none holds the key. */
export function replicasAgree(states: readonly ReplicaState[]): boolean {
  const first = states[0]?.object ?? null;
  return states.every((state) => (state.object === null ? first === null : first !== null && objectsAgreeByModel(state.object, first)));
}

export function objectsAgreeByModel(a: StoredObject, b: StoredObject): boolean {
  return a === b || objectsAgree(modelObject(a), modelObject(b), sameContents);
}

/** Two siblings with one dot hold the same write: value, tombstone flag, content type and time. */
function sameContents(a: Sibling, b: Sibling): boolean {
  if (a.deleted !== b.deleted || a.contentType !== b.contentType || a.lastModifiedMs !== b.lastModifiedMs || a.value.length !== b.value.length) return false;
  return a.value.every((byte, i) => byte === b.value[i]);
}

/** The join of every copy of the key in the cluster: what the key holds once all is repaired. */
export function joinedObject(world: SimWorld, bucket: string, key: string): ModelObject<Sibling> | null {
  return joinAll(allCopies(world, bucket, key).map(({ object }) => modelObject(object!)));
}

/**
 * The key's final object as if no tombstone had been collected: the join of every copy on every
 * disk and of every tombstone a collection round removed (oracle.ts). A round removes only an
 * object that every replica held exactly (docs/handoff.md, "Planned: collection rounds…"), so
 * joining it back gives what the disks would hold had they kept it — and an acknowledged delete,
 * or what it superseded, is still found there. (That a round removes only tombstones, and so
 * hides no live value by this, the durability checker checks.)
 */
export function finalObject(world: SimWorld, oracle: Oracle, bucket: string, key: string): ModelObject<Sibling> | null {
  const collected = oracle.collectionsOf(bucket, key).map((collection) => collection.object);
  return joinAll([...allCopies(world, bucket, key).map(({ object }) => object!), ...collected].map(modelObject));
}
