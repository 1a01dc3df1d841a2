/**
 * Data types of versioning: dots, causal contexts, siblings and stored objects.
 *
 * kvorum uses dotted version vectors (Preguiça, Baquero et al., "Dotted Version Vectors:
 * Logical Clocks for Optimistic Replication", 2010; the DVV-set / dotted causal container of
 * Riak 2.0) instead of Dynamo's plain per-node vector clocks (Dynamo §4.4). Each sibling is
 * named by the single event (its *dot*) that wrote it, separate from the causal history that
 * write had seen. That separation is what keeps two writes that carry the same stale context
 * through the same coordinator as two siblings instead of one silently overwriting the other.
 *
 * All types are plain data (arrays, strings, numbers, Uint8Array) so that msgpack encodes them
 * for disk and wire without adapters. Every array is kept sorted (see each field) so that two
 * equal values encode to equal bytes.
 */

/** A writer of versions: a node's name plus the incarnation of its data directory. */
export type Actor = string;

/** One write event: the `counter`-th version that `actor` coordinated for one key. */
export type Dot = readonly [actor: Actor, counter: number];

/**
 * One entry of a version vector: `actor` has written versions 1..counter of the key, the last
 * of them at wall time `lastWriteMs` (kept so that pruning can drop the longest-idle actors,
 * as Dynamo §4.4 and Riak do with their clock timestamps).
 */
export type ClockEntry = readonly [actor: Actor, counter: number, lastWriteMs: number];

/**
 * A causal history: a version vector (contiguous ranges 1..counter per actor) plus a cloud of
 * isolated dots that are not contiguous with it. It says which write events it has seen.
 *
 * Invariants (checked by `assertCausalContext`): `clock` sorted by actor, actors unique,
 * counters ≥ 1; `dots` sorted by (actor, counter), unique, and no dot is already covered by
 * `clock` (compaction folds a dot whose counter is clock[actor]+1 into the clock).
 */
export interface CausalContext {
  readonly clock: readonly ClockEntry[];
  readonly dots: readonly Dot[];
}

/** One concurrent version of a key's value, or a tombstone (`deleted`). */
export interface Sibling {
  readonly dot: Dot;
  readonly value: Uint8Array;
  readonly contentType: string;
  readonly lastModifiedMs: number;
  readonly deleted: boolean;
}

/**
 * What a replica stores for one key: the siblings still alive, and the causal history of
 * everything this replica has seen of the key. Every sibling's dot is covered by `context`;
 * a dot covered by `context` but absent from `siblings` was superseded.
 * `siblings` sorted by dot, dots unique.
 */
export interface StoredObject {
  readonly siblings: readonly Sibling[];
  readonly context: CausalContext;
}

/** What a client writes: the value (or a tombstone) and the context it read, if any. */
export interface WriteIntent {
  readonly value: Uint8Array;
  readonly contentType: string;
  readonly deleted: boolean;
  /** The context from the client's last get of this key; null = concurrent with everything. */
  readonly context: CausalContext | null;
}

export type Resolution = 'siblings' | 'lww';
