/**
 * Hinted handoff delivers (Dynamo §4.6, docs/handoff.md): a fallback forgets a hint only once
 * the node it was kept for has stored it, so everything a forgotten hint held is, at the end, on
 * that node — its context covers the hint's (a merge only adds to a context; later writes
 * supersede what it held, and the context still names it). When the owner left the ring, the
 * holder hands the hint to the key's replicas instead, and their join must cover it.
 *
 * Together with `hints` (none is still held at the end) this is what handoff promises, and all
 * it promises: a copy that no hint was made for (a replica write lost after the put had its W, a
 * buffered copy a crash took, a wiped disk) is anti-entropy's to restore (Dynamo §4.7). So in
 * the `handoff` mode (docs/simulation.md) these two checkers take the place of convergence.
 *
 * Excused: the dots of actors whose clock entries the keeper pruned (Dynamo §4.4: a context of a
 * key with more than 16 actors forgets the oldest; oracle.ts `recordPruning`; seed 50 of
 * --converge-by handoff); the owner's disk wiped after the hint was forgotten (what it stored went with it); a
 * tombstone a collection round removed from it since, or within `removedCopiesWindowMs` before,
 * if it covers the hint (the key was deleted and collected; a hint of the very tombstone does not
 * hold a round back, and the owner acknowledges it without storing it back within that window:
 * core/tombstones/collected.ts; seed 2107 of the 7-node shape); a holder that is no member at the end (a node behind a round it missed
 * abandons its hints: core/tombstones/epochs.ts `abandon`).
 */
import { DotSet, joinAll, modelObject, type ModelObject } from '../model/index.ts';
import type { Oracle } from '../oracle.ts';
import type { SimWorld } from '../world.ts';
import type { Violation } from './violation.ts';
import { labelOf } from '../labels.ts';
import type { Sibling } from '../../core/version/types.ts';
import { defaultTombstoneSettings } from '../../core/tombstones/settings.ts';

export function checkHandoff(world: SimWorld, oracle: Oracle): Violation[] {
  const violations: Violation[] = [];
  const { ring } = world;
  const removedCopiesWindowMs = world.config.tombstones?.removedCopiesWindowMs ?? defaultTombstoneSettings.removedCopiesWindowMs;
  for (const hint of oracle.hintsDelivered) {
    const { holder, owner, bucket, key, object, atMs } = hint;
    if (!ring.nodes.has(holder)) continue;
    const replicas = world.replicasOf(bucket, key);
    const keepers = replicas.includes(owner) ? [owner] : replicas;
    if (keepers.some((node) => oracle.wipes.some((wipe) => wipe.node === node && wipe.atMs >= atMs))) continue;
    const held = joinAll(keepers.flatMap((node) => copiesOn(world, oracle, node, bucket, key, atMs - removedCopiesWindowMs)));
    const wanted = DotSet.fromEncoded(object.context);
    if (held !== null && held.context.includes(wanted)) continue;
    // Dots of actors a keeper pruned from its context (Dynamo §4.4) are not asked for.
    const pruned = new Set(keepers.flatMap((node) => [...oracle.prunedActorsOf(node, bucket, key)]));
    const missing = wanted.minus(held?.context ?? DotSet.empty).filter((dot) => !pruned.has(dot[0]));
    if (missing.length === 0) continue;
    const labels = object.siblings.map((sibling) => labelOf(sibling.value)).join(', ');
    violations.push({
      checker: 'handoff',
      message: `${holder} forgot at ${atMs} ms its hint of ${bucket}/${key} for ${owner} (${labels}), but at the end ${keepers.join(', ')} ${keepers.length === 1 ? 'lacks' : 'lack'} ${missing.length} of its ${wanted.size} dot(s): handed off to no one`,
      bucket,
      key,
      entryIds: [],
    });
  }
  return violations;
}

/** What `node` holds of the key at the end, and the tombstones a collection removed from it after `sinceMs`. */
function copiesOn(world: SimWorld, oracle: Oracle, node: string, bucket: string, key: string, sinceMs: number): ModelObject<Sibling>[] {
  const partition = world.partitionOf(bucket, key);
  const held = world.disk(node).get(partition, bucket, key);
  const collected = oracle.collectionsOf(bucket, key).filter((collection) => collection.node === node && collection.atMs >= sinceMs);
  return [...(held === null ? [] : [held]), ...collected.map((collection) => collection.object)].map(modelObject);
}
