/** What the anti-entropy subsystem needs of the node that owns it (node.ts implements it). */
import type { StoreTarget } from '../coordinator/operation.ts';
import type { PeerMessage } from '../messages.ts';
import type { StoreOutcome } from '../replica/store-op.ts';
import type { Ring } from '../ring/types.ts';
import type { StoredObject } from '../version/types.ts';
import type { ScannedEntry } from './scan-types.ts';
import type { CoreCounter } from '../counters.ts';

export interface ScanChunk {
  readonly entries: readonly ScannedEntry[];
  /** The partition has no entries after the last one returned. */
  readonly exhausted: boolean;
}

export interface AntiEntropyHost {
  readonly self: string;
  readonly nowMs: number;
  /** The node's current ring: membership may swap it at any time, so it is read on every use. */
  readonly ring: Ring;
  nextOpId(): number;
  /** Whether the failure detector believes `peer` can be reached now. */
  isReachable(peer: string): boolean;
  send(to: string, message: PeerMessage): void;
  /** One chunk of an ordered partition scan (a non-key store effect). */
  scan(partition: number, after: { bucket: string; key: string } | null, entriesMax: number, bytesMax: number, done: (chunk: ScanChunk) => void): void;
  /** Read what is stored for a key, through the per-key store queue. */
  read(target: StoreTarget, done: (outcome: StoreOutcome) => void): void;
  /** Merge a version another replica holds into what this node stores. */
  merge(target: StoreTarget, object: StoredObject): void;
  /** Replicas (N) of keys of this bucket. */
  replicasOf(bucket: string): number;
  count(metric: CoreCounter, by?: number): void;
  /** The partition's epoch now: the stamp repairs read now carry (tombstones/epochs.ts). */
  epochOf(partition: number): number;
}
