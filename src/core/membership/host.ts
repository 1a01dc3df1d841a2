/** What the membership subsystem needs of the node that owns it (node.ts implements it). */
import type { StoreTarget } from '../coordinator/operation.ts';
import type { TransferEntry, PeerMessage } from '../messages.ts';
import type { StoreOp, StoreOutcome } from '../replica/store-op.ts';
import type { Resolution, StoredObject } from '../version/types.ts';
import type { CoreCounter } from '../counters.ts';

export interface ScanResult {
  readonly entries: readonly TransferEntry[];
  readonly exhausted: boolean;
  /** The partition's epoch when the scan was issued: the stamp its entries travel with (tombstones/epochs.ts). */
  readonly stamp: number;
}

export interface MembershipHost {
  readonly self: string;
  readonly nowMs: number;
  nextOpId(): number;
  send(to: string, message: PeerMessage): void;
  /** Record a node-local value (meta effect: on disk at the next flush). */
  persist(name: string, value: Uint8Array): void;
  scan(partition: number, after: { bucket: string; key: string } | null, done: (result: ScanResult) => void): void;
  store(target: StoreTarget, op: StoreOp, done: (outcome: StoreOutcome) => void): void;
  /** Calls `done` once every write issued so far is on disk (`ok`), or the disk failed (effects.ts `flush`). */
  flush(done: (ok: boolean) => void): void;
  resolutionOf(bucket: string): Resolution;
  /** The replicas of a key of `bucket` in `partition` under the node's serving ring. */
  replicasOf(partition: number, bucket: string): readonly string[];
  count(metric: CoreCounter, by?: number): void;
  /** The node's own failure detector's verdict (Dynamo §4.8: local, never a removal). */
  isReachable(node: string): boolean;
  /**
   * Before a copy is dropped: moves the node to a new writer if its current one has dots in the
   * copy, and records it on disk no later than the drop (replica/actor-generation.ts).
   */
  beforeDrop(object: StoredObject): void;
  /** The partition's epoch now: the stamp of objects read now (tombstones/epochs.ts). */
  epochOf(partition: number): number;
  /** Copies of the partition here are dropped, not handed off: a round this node missed made them unverifiable. */
  abandoned(partition: number): boolean;
}
