/**
 * What a replica does to the one object it stores for a key. A store op is data: the runtime
 * reads the stored object, calls `applyStoreOp` (pure), writes the result back if it changed,
 * and feeds the outcome to the node. The runtime holds a per-key lock around the three steps,
 * so two ops on one key never interleave and lose a sibling.
 */
import { KvorumError } from '../errors.ts';
import { coordinateWrite, mergeMaybe, objectsEqual } from '../version/object.ts';
import type { Actor, CausalContext, Dot, Resolution, StoredObject, WriteIntent } from '../version/types.ts';
import { unreachable } from '../assert.ts';

export type StoreOp =
  /** Read what is stored. */
  | { readonly kind: 'read' }
  /** Make a new version here, as the coordinator of a put (Dynamo §4.5 / §6). */
  | {
      readonly kind: 'coordinate';
      readonly intent: WriteIntent;
      readonly actor: Actor;
      readonly nowMs: number;
      readonly resolution: Resolution;
    }
  /** Merge in a version another replica sent (replication, read repair). */
  | { readonly kind: 'merge'; readonly object: StoredObject; readonly resolution: Resolution }
  /**
   * Remove the stored object if it is still exactly `object`: a copy the node no longer
   * replicates, which a sweep has just placed on the key's replicas (`stray`,
   * membership/stray-sweeper.ts), or a tombstone a collection round found on every replica
   * (`tombstone`, tombstones/). A write that arrived since changed it, and it stays. Before a
   * drop of a copy holding its own dots, the node records a new actor generation (a meta write
   * issued first, so on disk no later than the drop: actor-generation.ts).
   */
  | {
      readonly kind: 'dropIfUnchanged';
      readonly object: StoredObject;
      readonly reason: 'stray' | 'tombstone';
    };

export type StoreOutcome =
  | {
      readonly ok: true;
      /** The object stored after the op (null: nothing stored for the key). */
      readonly object: StoredObject | null;
      /**
       * The object stored before the op: with `object`, what anti-entropy XORs out of and into
       * the partition's hash tree (core/antientropy/), so trees stay current without rescans.
       */
      readonly previous: StoredObject | null;
      /** For `coordinate`: the new version's dot and causal history. */
      readonly written?: { readonly dot: Dot; readonly context: CausalContext; readonly prunedEntries: number; readonly clamped: boolean };
      /** For `merge`: siblings the hard bound dropped (version/object-bound.ts). */
      readonly truncated?: number;
    }
  | { readonly ok: false; readonly error: KvorumError };

export interface StoreOpResult {
  readonly outcome: StoreOutcome;
  /** The object to write back, or undefined when the stored object is unchanged. */
  readonly write?: StoredObject | undefined;
  /** Remove the key's object (only `dropIfUnchanged` asks it; never together with `write`). */
  readonly drop?: true | undefined;
}

export function applyStoreOp(stored: StoredObject | null, op: StoreOp): StoreOpResult {
  switch (op.kind) {
    case 'read':
      return { outcome: { ok: true, object: stored, previous: stored } };
    case 'coordinate': {
      try {
        const written = coordinateWrite(stored, op.intent, op.actor, op.nowMs, op.resolution);
        return {
          outcome: {
            ok: true,
            object: written.object,
            previous: stored,
            written: { dot: written.dot, context: written.context, prunedEntries: written.prunedEntries, clamped: written.clamped },
          },
          write: written.object,
        };
      } catch (error) {
        if (error instanceof KvorumError) return { outcome: { ok: false, error } };
        throw error;
      }
    }
    case 'merge': {
      const merged = mergeMaybe(stored, op.object, op.resolution);
      const outcome = { ok: true, object: merged.object, previous: stored, ...(merged.truncated > 0 ? { truncated: merged.truncated } : {}) } as const;
      return { outcome, write: merged.changed ? merged.object : undefined };
    }
    case 'dropIfUnchanged': {
      if (stored === null || !objectsEqual(stored, op.object)) return { outcome: { ok: true, object: stored, previous: stored } };
      return { outcome: { ok: true, object: null, previous: stored }, drop: true };
    }
    default:
      return unreachable(op, 'store op');
  }
}
