/**
 * The two operations that change what a replica stores for a key: coordinating a client's
 * write (Dynamo §4.5: the coordinator "generates the vector clock for the new version"), and
 * merging in a version another replica sent (replication, read repair, hinted handoff,
 * anti-entropy). Both are pure functions of their inputs.
 *
 * With `siblings` resolution this is a dotted causal container (DVV set): each sibling keeps
 * the dot of the write that made it, and the object keeps one causal context for all of them.
 * A sibling is dropped exactly when some version whose causal history covers its dot is known
 * (Dynamo §4.4's syntactic reconciliation), and never otherwise.
 */
import { KvorumError } from '../errors.ts';
import { limits } from '../limits.ts';
import { assertFailed } from '../assert.ts';
import { compareActors, compareDots } from './actor.ts';
import { addDot, clampCounter, counterOf, covers, emptyContext, joinContexts } from './causal-context.ts';
import { pruneContext, tokenClockEntriesMax } from './prune.ts';
import { boundObject, type BoundedObject } from './object-bound.ts';
import { siblingBytes } from './object-bytes.ts';
import { assertStoredObject, compareSiblingContents, objectsEqual } from './stored-object.ts';
import type { Actor, CausalContext, Dot, Resolution, Sibling, StoredObject, WriteIntent } from './types.ts';

export {
  assertStoredObject,
  isDeleted,
  liveSiblings,
  objectsEqual,
  storedObjectProblem,
  supersedes,
} from './stored-object.ts';

export interface CoordinatedWrite {
  /** What the coordinator stores and sends to the other replicas. */
  readonly object: StoredObject;
  /** The new version's write event. */
  readonly dot: Dot;
  /** The causal history of the new version alone, for the client's next put. */
  readonly context: CausalContext;
  /** Clock entries and cloud dots pruned, from the stored context and from the reply's. */
  readonly prunedEntries: number;
  /** The client's context claimed more of `actor`'s counter than this replica knows; it was cut back. */
  readonly clamped: boolean;
}

/**
 * Makes the version a client's put (or delete: `intent.deleted`) asks for, at the replica that
 * coordinates it as `actor`. Throws KvorumError `too_many_siblings` (and changes nothing) when
 * the object would hold more than `limits.siblingsCountMax` siblings.
 *
 * The client's context is cut back to what this replica knows of `actor`'s own counter
 * (`clampCounter`). Every dot of `actor` is made here and stored here first, and this replica's
 * copy never forgets one (merges only join; pruning keeps the coordinating actor; a drop moves the
 * node to a new actor: replica/actor-generation.ts), so a context that claims more of it was not
 * issued by the cluster. Joined in, such a claim would use up the actor's counters for the key for
 * good (issue 11 §3: "no write counters left"). Tokens are authenticated too
 * (context-token.ts); this keeps even a valid-looking context from exhausting them.
 */
export function coordinateWrite(
  stored: StoredObject | null,
  asked: WriteIntent,
  actor: Actor,
  nowMs: number,
  resolution: Resolution,
): CoordinatedWrite {
  if (!(Number.isSafeInteger(nowMs) && nowMs >= 0)) assertFailed(`coordinateWrite: bad nowMs ${nowMs}`);
  const storedCounter = counterOf(stored?.context ?? emptyContext, actor);
  const intent = asked.context === null ? asked : { ...asked, context: clampCounter(asked.context, actor, storedCounter) };
  const dot = newDot(actor, storedCounter);
  const siblings = siblingsAfterWrite(stored, intent, dot, nowMs, resolution);
  refuseTooManySiblings(siblings.length);
  refuseTooLarge(siblings);
  // The stored context is bounded (Dynamo §4.4) but must keep covering every sibling's dot.
  const joined = addDot(joinContexts(stored?.context ?? emptyContext, intent.context ?? emptyContext), dot, nowMs);
  const stores = pruneContext(joined, () => new Set(siblings.map((kept) => kept.dot[0])), limits.clockEntriesMax, limits.contextDotsMax);
  // The reply is bounded as tokens are, or the client's next put would be refused as bad_context.
  // Of the cloud it keeps only the new dot: the client's context may be full of this actor's
  // isolated dots (concurrent updates of a hot key through one coordinator), and keeping them all
  // would overflow the bound. The new dot is the actor's highest, so its counter never goes back.
  const replyContext = addDot(intent.context ?? emptyContext, dot, nowMs);
  const isNewDot = (kept: Dot) => compareDots(kept, dot) === 0;
  const reply = pruneContext(replyContext, () => new Set([actor]), tokenClockEntriesMax, limits.contextDotsMax, isNewDot);
  const object: StoredObject = { siblings, context: stores.context };
  assertStoredObject(object);
  return { object, dot, context: reply.context, prunedEntries: stores.prunedEntries + reply.prunedEntries, clamped: intent.context !== asked.context };
}

function siblingsAfterWrite(stored: StoredObject | null, intent: WriteIntent, dot: Dot, nowMs: number, resolution: Resolution): Sibling[] {
  const lastModifiedMs = resolution === 'lww' ? lwwTimestamp(stored, nowMs) : nowMs;
  const sibling: Sibling = { dot, value: intent.value, contentType: intent.contentType, lastModifiedMs, deleted: intent.deleted };
  return resolution === 'lww' ? [sibling] : withSibling(survivorsOf(stored, intent.context), sibling);
}

function refuseTooManySiblings(count: number): void {
  if (count <= limits.siblingsCountMax) return;
  throw new KvorumError(
    'too_many_siblings',
    `the key would hold ${count} siblings, more than ${limits.siblingsCountMax}: read it and put a value with the context of that read to resolve them`,
    { siblings: count, siblingsCountMax: limits.siblingsCountMax },
  );
}

/**
 * Values are at most valueBytesMax, and `siblingsCountMax` of them fit `objectBytesMax` (config
 * validation keeps valueBytesMax below valueBytesMaxLimit): only a copy holding values a node
 * with a larger limit wrote gets here. Refused, as too many siblings are, rather than stored as
 * an object no message could carry.
 */
function refuseTooLarge(siblings: readonly Sibling[]): void {
  let bytes = 0;
  for (const sibling of siblings) bytes += siblingBytes(sibling);
  if (bytes <= limits.objectBytesMax) return;
  throw new KvorumError(
    'value_too_large',
    `the key would hold ${bytes} bytes in ${siblings.length} siblings, more than ${limits.objectBytesMax}: read it and put a value with the context of that read to resolve them`,
    { bytes, objectBytesMax: limits.objectBytesMax },
  );
}

/**
 * The new write event: one past the highest counter of `actor` this replica has seen — the
 * highest anyone has, since `actor` writes only here (the client's context, clamped, claims no
 * more) — so that it names a write nobody has seen yet. (With plain per-node version vectors,
 * Dynamo §4.4, the version IS its clock, and two puts with one stale context through one
 * coordinator get comparable clocks: the second silently supersedes the first. Here each gets
 * its own dot, and the second covers only what its context covers, not the first's dot.)
 */
function newDot(actor: Actor, seen: number): Dot {
  if (!Number.isSafeInteger(seen + 1)) {
    throw new KvorumError('bad_context', `actor ${JSON.stringify(actor)} has no write counters left for this key (its copy records ${seen})`);
  }
  return [actor, seen + 1];
}

/**
 * Last-writer-wins compares wall times, which differ between nodes. Bumping past what is
 * stored makes the newest write at this replica win here at least, even if this node's clock
 * lags the clock that wrote the stored version.
 */
function lwwTimestamp(stored: StoredObject | null, nowMs: number): number {
  let newest = -1;
  for (const sibling of stored?.siblings ?? []) newest = Math.max(newest, sibling.lastModifiedMs);
  return Math.max(nowMs, newest + 1);
}

/** Stored siblings the client had not seen: a put supersedes exactly what its context covers. */
function survivorsOf(stored: StoredObject | null, context: CausalContext | null): readonly Sibling[] {
  if (stored === null) return [];
  if (context === null) return stored.siblings;
  return stored.siblings.filter((sibling) => !covers(context, sibling.dot));
}

/** `siblings` (sorted by dot) with `added` in its place; its dot is new, so never a duplicate. */
function withSibling(siblings: readonly Sibling[], added: Sibling): Sibling[] {
  const index = siblings.findIndex((sibling) => compareDots(sibling.dot, added.dot) > 0);
  if (index < 0) return [...siblings, added];
  return [...siblings.slice(0, index), added, ...siblings.slice(index)];
}

/**
 * The join of two replicas' versions of one key, within the hard bound (object-bound.ts). The
 * join is commutative, associative and idempotent, so replicas converge whatever order and
 * however often versions reach them; the bound keeps that but for associativity, and only when it
 * truncates (see there).
 */
export function mergeObjects(a: StoredObject, b: StoredObject, resolution: Resolution): StoredObject {
  return mergeBounded(a, b, resolution).object;
}

/** mergeObjects, saying how many siblings the hard bound dropped (for `siblingsTruncated`). */
export function mergeBounded(a: StoredObject, b: StoredObject, resolution: Resolution): BoundedObject {
  const context = joinContexts(a.context, b.context);
  const siblings = resolution === 'lww' ? lwwWinner(a, b) : causalSiblings(a, b);
  return boundObject({ siblings, context });
}

/**
 * A sibling survives unless the other side has seen its dot and dropped it: kept if the other
 * side holds it too, or has not seen it. (The dotted causal container join:
 * (s ∩ s') ∪ (s \ c') ∪ (s' \ c).)
 */
function causalSiblings(a: StoredObject, b: StoredObject): Sibling[] {
  const merged: Sibling[] = [];
  let i = 0;
  let j = 0;
  while (i < a.siblings.length || j < b.siblings.length) {
    const x = a.siblings[i];
    const y = b.siblings[j];
    const order = x === undefined ? 1 : y === undefined ? -1 : compareDots(x.dot, y.dot);
    if (order === 0) {
      merged.push(compareSiblingContents(x!, y!) >= 0 ? x! : y!);
      i++;
      j++;
    } else if (order < 0) {
      if (!covers(b.context, x!.dot)) merged.push(x!);
      i++;
    } else {
      if (!covers(a.context, y!.dot)) merged.push(y!);
      j++;
    }
  }
  return merged;
}

/**
 * Last writer wins: the greatest (lastModifiedMs, actor, counter) of all siblings of both.
 *
 * It deliberately ignores causality. Filtering out siblings the other side's context covers
 * first (as `causalSiblings` does) and then taking the newest would not be associative when
 * wall clocks disagree with causality: let x (t=10) be overwritten by y (t=5, its context
 * covers x: the writer's clock lagged), and z (t=7) be concurrent with both. Then
 * (x ⊔ y) ⊔ z: y drops x, z beats y → z; but (x ⊔ z) ⊔ y: x beats z, then y's context drops
 * x while y survives → y. Replicas receiving the same versions in different orders would
 * disagree forever. A max over the union of a set is order-independent.
 */
function lwwWinner(a: StoredObject, b: StoredObject): Sibling[] {
  let winner: Sibling | undefined;
  for (const sibling of [...a.siblings, ...b.siblings]) {
    if (winner === undefined || compareLww(sibling, winner) > 0) winner = sibling;
  }
  return winner === undefined ? [] : [winner];
}

function compareLww(a: Sibling, b: Sibling): number {
  return (
    a.lastModifiedMs - b.lastModifiedMs ||
    compareActors(a.dot[0], b.dot[0]) ||
    a.dot[1] - b.dot[1] ||
    compareSiblingContents(a, b)
  );
}

/**
 * Merges `incoming` into what is stored. `changed` is false when the merge adds nothing, so
 * the runtime can skip the disk write (and the hash tree update); `truncated` counts the
 * siblings the hard bound dropped (object-bound.ts).
 */
export function mergeMaybe(
  stored: StoredObject | null,
  incoming: StoredObject,
  resolution: Resolution,
): { object: StoredObject; changed: boolean; truncated: number } {
  // Nothing stored: the merge is `incoming` itself, narrowed to one sibling under lww (a
  // bucket may have switched from siblings to lww since `incoming` was made), and bounded.
  if (stored === null) {
    const bounded = resolution === 'lww' ? mergeBounded(incoming, incoming, resolution) : boundObject(incoming);
    return { object: bounded.object, changed: true, truncated: bounded.truncated };
  }
  const merged = mergeBounded(stored, incoming, resolution);
  if (objectsEqual(merged.object, stored)) return { object: stored, changed: false, truncated: merged.truncated };
  // The usual case of replication: the version that came supersedes what was here. Returning it,
  // not an equal copy, lets its bytes be stored as they came (codec.ts remembers them).
  if (objectsEqual(merged.object, incoming)) return { object: incoming, changed: true, truncated: merged.truncated };
  return { object: merged.object, changed: true, truncated: merged.truncated };
}
