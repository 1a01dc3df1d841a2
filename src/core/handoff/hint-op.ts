/**
 * Hints (Dynamo §4.6): a version a fallback node keeps for a primary replica that could not be
 * reached when the version was written. Hints live apart from owned data (the hints namespace,
 * storage/keys.ts) so that reads, partition scans and anti-entropy of the holder never mistake
 * them for data it owns. Per key the holder keeps one hint record: for each intended owner, the
 * merge of every version it was asked to keep for that owner.
 *
 * Like store ops, hint ops are data: the runtime carries them out against its disk and feeds the
 * outcome back (`hintsDone`). The functions here are the pure part, shared by the real runtime
 * and the simulator.
 */
import { unreachable } from '../assert.ts';
import type { KvorumError } from '../errors.ts';
import { mergeMaybe, mergeObjects, objectsEqual } from '../version/object.ts';
import type { Resolution, StoredObject } from '../version/types.ts';

export interface HintTarget {
  readonly partition: number;
  readonly bucket: string;
  readonly key: string;
}

/** One version held for one owner. */
export interface Hint extends HintTarget {
  readonly owner: string;
  readonly object: StoredObject;
}

/** For each owner, the version held for it. Never empty on disk: an empty record is deleted. */
export type HintRecord = ReadonlyMap<string, StoredObject>;

export type HintOp =
  /** Keep `hint` (merged with what is held for the same owner and key). */
  | { readonly kind: 'store'; readonly hint: Hint; readonly resolution: Resolution }
  /** The key's owned object merged with every hint held for the key: what a fallback answers a read with. */
  | { readonly kind: 'readKey'; readonly target: HintTarget; readonly resolution: Resolution }
  /** Up to `limit` hint records in key order, starting after `after` (from the start when null). */
  | { readonly kind: 'scan'; readonly after: HintTarget | null; readonly limit: number }
  /** Forget the hint, but only if what is held for the owner is still exactly `hint.object`. */
  | { readonly kind: 'delete'; readonly hint: Hint }
  /** How many hints (owner, key pairs) are held, in all and per owner: read at boot, kept up to date after. */
  | { readonly kind: 'count' }
  /** Whether any hint is held for the key, for any owner (tombstones/participant.ts). */
  | { readonly kind: 'holds'; readonly target: HintTarget };

export type HintOutcome =
  /** `truncated`: siblings the hard bound dropped merging the hint in (version/object-bound.ts). */
  | { readonly kind: 'stored'; readonly created: boolean; readonly truncated?: number }
  | { readonly kind: 'read'; readonly object: StoredObject | null }
  | { readonly kind: 'scanned'; readonly hints: readonly Hint[]; readonly last: HintTarget | null }
  | { readonly kind: 'deleted'; readonly deleted: boolean }
  | { readonly kind: 'counted'; readonly count: number; readonly byOwner: ReadonlyMap<string, number> }
  | { readonly kind: 'holds'; readonly held: boolean }
  | { readonly kind: 'failed'; readonly error: KvorumError };

export interface HintRecordChange {
  readonly outcome: HintOutcome;
  /** The record to write back; null deletes it; undefined leaves it as it is. */
  readonly write?: HintRecord | null | undefined;
}

/** Adds a record's hints to `byOwner` (the `count` op's tally, per owner). */
export function tallyHints(byOwner: Map<string, number>, record: HintRecord): void {
  for (const owner of record.keys()) byOwner.set(owner, (byOwner.get(owner) ?? 0) + 1);
}

/** The `count` op's outcome from its per-owner tally. */
export function hintsCounted(byOwner: ReadonlyMap<string, number>): HintOutcome {
  let count = 0;
  for (const held of byOwner.values()) count += held;
  return { kind: 'counted', count, byOwner };
}

export function storeHint(record: HintRecord | null, hint: Hint, resolution: Resolution): HintRecordChange {
  const held = record?.get(hint.owner) ?? null;
  const merged = mergeMaybe(held, hint.object, resolution);
  const outcome = { kind: 'stored', created: held === null, ...(merged.truncated > 0 ? { truncated: merged.truncated } : {}) } as const;
  if (!merged.changed) return { outcome };
  const next = new Map(record ?? []);
  next.set(hint.owner, merged.object);
  return { outcome, write: next };
}

export function deleteHint(record: HintRecord | null, hint: Hint): HintRecordChange {
  const held = record?.get(hint.owner);
  // A newer version merged in since the hint was sent stays, to be delivered next round.
  if (held === undefined || !objectsEqual(held, hint.object)) return { outcome: { kind: 'deleted', deleted: false } };
  const next = new Map(record!);
  next.delete(hint.owner);
  return { outcome: { kind: 'deleted', deleted: true }, write: next.size === 0 ? null : next };
}

/** The owned object of a key joined with every version held for it as a hint. */
export function objectWithHints(owned: StoredObject | null, record: HintRecord | null, resolution: Resolution): StoredObject | null {
  let joined = owned;
  for (const object of record?.values() ?? []) joined = joined === null ? object : mergeObjects(joined, object, resolution);
  return joined;
}

/** The hints of a record, one per owner. */
export function hintsOf(target: HintTarget, record: HintRecord): Hint[] {
  const { partition, bucket, key } = target;
  return [...record].map(([owner, object]) => ({ partition, bucket, key, owner, object }));
}

/** The key a hint op locks (every op but scan and count touches one key's record). */
export function hintOpTarget(op: HintOp): HintTarget | null {
  switch (op.kind) {
    case 'store':
    case 'delete':
      return op.hint;
    case 'readKey':
    case 'holds':
      return op.target;
    case 'scan':
    case 'count':
      return null;
    default:
      return unreachable(op, 'hint op');
  }
}
