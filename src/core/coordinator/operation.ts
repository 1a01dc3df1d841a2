/**
 * What a coordinated operation (get, put, forward) sees of its node, and what the node asks of
 * it. Operations are small state machines: each event may emit effects through `OperationHost`
 * and may finish the operation. The node routes replies, delivery failures, store outcomes and
 * deadlines to them by op id.
 */
import type { Requester } from '../effects.ts';
import type { ClientResult, PeerMessage } from '../messages.ts';
import type { Hint } from '../handoff/hint-op.ts';
import type { StoreOp, StoreOutcome } from '../replica/store-op.ts';
import type { Actor, Resolution, StoredObject } from '../version/types.ts';
import type { CoreCounter } from '../counters.ts';

export interface StoreTarget {
  readonly partition: number;
  readonly bucket: string;
  readonly key: string;
}

export interface OperationHost {
  readonly self: string;
  readonly nowMs: number;
  send(to: string, message: PeerMessage): void;
  /** Runs a store op on this node's disk; the outcome comes back through the operation's `onStored` (none for null). */
  store(operation: Operation | null, target: StoreTarget, op: StoreOp): void;
  /** Keeps a version as a hint on this node's disk, for an unreachable owner (sloppy quorum). */
  storeHint(hint: Hint, resolution: Resolution): void;
  /**
   * Calls `done` once every write this node issued so far is on disk (`ok`) or the disk failed
   * (effects.ts `flush`) — unless `operation` is done by then.
   */
  flush(operation: Operation, done: (ok: boolean) => void): void;
  /** Reads the key's owned object joined with the hints held for it; the outcome comes back through `onStored`. */
  readWithHints(operation: Operation, target: StoreTarget, resolution: Resolution): void;
  /** Who this node writes versions as now (replica/actor-generation.ts). */
  readonly writer: { readonly actor: Actor };
  /** This node's failure detector's view (Dynamo §4.8); this node itself is always reachable. */
  readonly isReachable: (node: string) => boolean;
  answer(requester: Requester, result: ClientResult): void;
  /** Counts an event for metrics (`readRepairs`, `clockEntriesPruned`, …). */
  count(metric: CoreCounter, by?: number): void;
  /** The partition's epoch here now: the stamp of what a read issued now returns (tombstones/epochs.ts). */
  epochOf(partition: number): number;
  /**
   * Whether objects `from` read at `stamp` must be refused here: read before a collection fenced
   * them off. When they are, `from` is told the epoch (tombstones/epoch-sync.ts).
   */
  refuses(from: string, partition: number, stamp: number): boolean;
  /**
   * Whether `object` is a copy of a tombstone a collection round removed here lately, or older,
   * read elsewhere before that replica's removal: not to be stored back (tombstones/collected.ts).
   */
  wasCollected(target: StoreTarget, object: StoredObject): boolean;
  /**
   * Calls `done` once this node's epoch of `partition` is at least `epoch` (checked after each
   * input, so at the earliest after this one) — unless `operation` is done by then.
   */
  afterEpoch(operation: Operation, partition: number, epoch: number, done: () => void): void;
}

export interface Operation {
  readonly opId: number;
  readonly deadlineMs: number;
  /** True once nothing more can happen; the node then forgets the operation. */
  readonly done: boolean;
  start(host: OperationHost): void;
  onPeerMessage(host: OperationHost, from: string, message: PeerMessage): void;
  onDeliveryFailed(host: OperationHost, to: string, message: PeerMessage): void;
  onStored(host: OperationHost, outcome: StoreOutcome): void;
  onDeadline(host: OperationHost): void;
  /**
   * Called once, `silentTargetWaitMs` after the start, if the operation is not done: targets
   * that have neither answered nor failed may be down without this node knowing yet, and the
   * operation may ask fallbacks in their place (sloppy-targets.ts).
   */
  onSilence?(host: OperationHost): void;
  /**
   * Called once, when the node's replicas usually have answered a get (reply-time.ts), if that is
   * well before `silentTargetWaitMs` and the operation is not done: a get asks one more replica.
   */
  onLate?(host: OperationHost): void;
}
