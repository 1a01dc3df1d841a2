/**
 * Deletes do not resurrect (DESIGN §2.5): once a round has collected a key's tombstone
 * (docs/handoff.md, "Planned: collection rounds behind per-partition epochs"), no version the
 * tombstone superseded — a sibling whose dot its causal context covers — comes back: not in the
 * key's final object, and not in the answer of any get that started after the collection.
 *
 * The round's fence is what forbids it: before any replica removes anything, every member
 * refuses objects read before it recorded the raised epoch, so every read after the first removal
 * finds the tombstone or something newer. A superseded version that shows up later was carried by
 * a message read before the round (a late read repair, transfer chunk, hint or duplicate), or is
 * a dot a writer made again after the copy that held its counters was dropped (Riak's kv679,
 * which the actor generation a drop carries prevents: replica/actor-generation.ts).
 *
 * The tombstone's own siblings do not count: its context covers them trivially, and one coming
 * back is the tombstone itself, from a replica whose remove was lost (a round drops only what is
 * unchanged, and a lost remove leaves the tombstone for a later round) — nothing deleted returns.
 * That a round removes only tombstones, the durability checker checks.
 *
 * The final object here is the join of the disk copies only: joining the collected tombstones
 * back, as durability does, would merge away exactly what this checker looks for. A get is judged
 * only if it started after a collection: one in flight then may have read a replica before it.
 * History times are whole milliseconds, so a get started in the collection's millisecond is not
 * judged either.
 */
import type { Dot } from '../../core/version/types.ts';
import { DotSet, formatDot, sameDot } from '../model/index.ts';
import type { History } from '../history.ts';
import { labelOf } from '../labels.ts';
import type { Collection, Oracle } from '../oracle.ts';
import type { SimWorld } from '../world.ts';
import { allCopies, joinedObject } from './replicas.ts';
import type { VersionIndex } from './versions.ts';
import type { Violation } from './violation.ts';

export function checkResurrection(world: SimWorld, history: History, oracle: Oracle, index: VersionIndex): Violation[] {
  const collectionsByKey = new Map<string, Collection[]>();
  for (const collection of oracle.collections) {
    const id = `${collection.bucket}\u0000${collection.key}`;
    collectionsByKey.set(id, [...(collectionsByKey.get(id) ?? []), collection]);
  }
  const violations: Violation[] = [];
  for (const entry of history.entries) {
    if (!entry.got) continue;
    const before = (collectionsByKey.get(`${entry.bucket}\u0000${entry.key}`) ?? []).filter((collection) => collection.atMs < entry.invokedMs);
    for (const sibling of entry.got.siblings) {
      const collection = before.find((candidate) => superseded(candidate, sibling.dot));
      if (collection === undefined) continue;
      violations.push({
        checker: 'resurrection',
        message: `get #${entry.id} (started at ${entry.invokedMs} ms) returned ${sibling.label} ${formatDot(sibling.dot)}, ${describe(collection)}`,
        key: entry.key,
        entryIds: [entry.id, ...entryIdsOf(index, collection, sibling.dot)],
      });
    }
  }
  for (const [id, collections] of collectionsByKey) {
    const [bucket, key] = id.split('\u0000') as [string, string];
    for (const sibling of joinedObject(world, bucket, key)?.siblings ?? []) {
      const collection = collections.find((candidate) => superseded(candidate, sibling.dot));
      if (collection === undefined) continue;
      const holders = allCopies(world, bucket, key).filter(({ object }) => object!.siblings.some((held) => sameDot(held.dot, sibling.dot)));
      violations.push({
        checker: 'resurrection',
        message: `at the end ${holders.map(({ node }) => node).join(', ')} hold ${labelOf(sibling.value)} ${formatDot(sibling.dot)}, ${describe(collection)}`,
        key,
        entryIds: entryIdsOf(index, collection, sibling.dot),
      });
    }
  }
  return violations;
}

/** Whether the collected tombstone superseded `dot`: its context covers it, and it is not one of its own siblings. */
function superseded(collection: Collection, dot: Dot): boolean {
  const { object } = collection;
  return DotSet.fromEncoded(object.context).has(dot) && !object.siblings.some((sibling) => sameDot(sibling.dot, dot));
}

function describe({ node, atMs, object }: Collection): string {
  const tombstone = object.siblings.map((sibling) => `${labelOf(sibling.value)} ${formatDot(sibling.dot)}`).join(', ');
  return `which the tombstone ${tombstone} superseded, collected on ${node} at ${atMs} ms: a deleted version came back`;
}

/** The write of the version that came back, then the deletes whose tombstone was collected. */
function entryIdsOf(index: VersionIndex, { bucket, key, object }: Collection, dot: Dot): number[] {
  const dots = [dot, ...object.siblings.map((sibling) => sibling.dot)];
  return dots.map((each) => index.byDot(bucket, key, each)?.entry.id).filter((id) => id !== undefined);
}
