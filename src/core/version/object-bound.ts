/**
 * The hard bound on a stored object: at most `limits.siblingsHardMax` siblings and
 * `limits.objectBytesMax` encoded bytes, whatever merges join.
 *
 * A coordinator refuses a put that would make more than `siblingsCountMax` siblings, but it can
 * only judge its own copy: concurrent puts through different coordinators each pass that check,
 * and their versions meet only when replicas merge (issue 11 §4: 48 concurrent 1 MiB puts made a
 * 48 MiB object). Every merge therefore bounds its result: beyond the bound it keeps the newest
 * siblings — by (lastModifiedMs, dot), a total order every replica agrees on — and drops the rest.
 * A dropped sibling's dot stays in the causal context, so it counts as superseded everywhere: a
 * replica that still holds it drops it when it merges this object, and it never comes back.
 *
 * This is the one case where concurrent writes are lost without a write that saw them
 * (docs/api.md), which is why it is counted (`siblingsTruncated`). Convergence survives it: the
 * bound is a deterministic function of the merged object and only ever drops what the context
 * covers, so `bound(merge(a, b))` is commutative and idempotent, and once two replicas have
 * merged each other's objects they hold the same one. (It is not associative: which siblings
 * survive may depend on the order versions met, but every order ends in one state once the
 * replicas have exchanged what they hold, as anti-entropy makes them.)
 */
import { limits } from '../limits.ts';
import { compareDots } from './actor.ts';
import { objectBytes, objectBytesWithin, siblingBytes } from './object-bytes.ts';
import type { Sibling, StoredObject } from './types.ts';

export interface BoundedObject {
  readonly object: StoredObject;
  /** Siblings dropped to stay within the bound. */
  readonly truncated: number;
}

/** Newest first: later lastModifiedMs, then the greater dot (dots are unique: a total order). */
function newerFirst(a: Sibling, b: Sibling): number {
  return b.lastModifiedMs - a.lastModifiedMs || compareDots(b.dot, a.dot);
}

/** `object` within the hard bound: itself when it is, else its newest siblings that fit. */
export function boundObject(object: StoredObject): BoundedObject {
  const { siblings, context } = object;
  if (siblings.length <= limits.siblingsHardMax && objectBytesWithin(object, limits.objectBytesMax)) return { object, truncated: 0 };
  const kept = new Set<Sibling>();
  let bytes = objectBytes({ siblings: [], context });
  for (const sibling of [...siblings].sort(newerFirst)) {
    const size = siblingBytes(sibling);
    // The newest prefix that fits: a sibling that does not fit ends it, so an older, smaller one
    // never takes the place of a newer one.
    if (kept.size === limits.siblingsHardMax || bytes + size > limits.objectBytesMax) break;
    kept.add(sibling);
    bytes += size;
  }
  // `siblings` stays in dot order, as every stored object keeps it.
  return { object: { siblings: siblings.filter((sibling) => kept.has(sibling)), context }, truncated: siblings.length - kept.size };
}
