/** What tombstone collection needs of the node that owns it (node.ts implements it). */
import type { StoreTarget } from '../coordinator/operation.ts';
import type { ScanResult } from '../membership/host.ts';
import type { ClusterView } from '../membership/view.ts';
import type { PeerMessage } from '../messages.ts';
import type { Ring } from '../ring/types.ts';
import type { StoredObject } from '../version/types.ts';
import type { PartitionEpochs } from './epochs.ts';
import type { CoreCounter } from '../counters.ts';

export interface TombstoneHost {
  readonly self: string;
  readonly nowMs: number;
  /** This node's base actor (name and data-dir incarnation): a wiped disk answers with another. */
  readonly incarnation: string;
  /** Read on every use: membership may swap them at any time. */
  readonly view: ClusterView;
  readonly ring: Ring;
  readonly epochs: PartitionEpochs;
  nextOpId(): number;
  send(to: string, message: PeerMessage): void;
  isReachable(peer: string): boolean;
  /** What is stored for the key ('failed' when the disk could not say). */
  read(target: StoreTarget, done: (object: StoredObject | null | 'failed') => void): void;
  /** Whether this node keeps a hint for the key, for any owner. */
  holdsHint(target: StoreTarget, done: (held: boolean | 'failed') => void): void;
  /** Calls `done` once every hint op issued so far has finished (hint ops of one key need not finish in order). */
  afterHintOps(done: () => void): void;
  /** Writes the epochs to disk; `done` once they are durable. */
  persistEpochs(done: () => void): void;
  /** Drops the key's object if it is still exactly `object` (a collected tombstone). */
  drop(target: StoreTarget, object: StoredObject): void;
  /** One chunk of the partition in key order, after `after`. */
  scan(partition: number, after: { bucket: string; key: string } | null, entriesMax: number, done: (result: ScanResult) => void): void;
  /** The replicas of a key of `bucket` in `partition` under the serving ring. */
  replicasOf(partition: number, bucket: string): readonly string[];
  count(metric: CoreCounter, by?: number): void;
}
