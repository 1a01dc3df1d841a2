/**
 * What a node reports of itself (KvNode.status): plain data — numbers, strings, arrays and
 * records, no live objects — so that the runtime's metrics, the dashboard and `kvorum top` read
 * one snapshot and never reach into the core's parts (DESIGN §10).
 */
import type { CoreCounter } from './counters.ts';
import type { PeerReachability } from './membership/failure-detector.ts';
import type { TransferProgress } from './membership/transfer-sender.ts';
import type { MemberStatus } from './membership/view.ts';

export interface MemberReport {
  readonly name: string;
  /** Membership: joining, valid, leaving, removed (membership/view.ts). */
  readonly membership: MemberStatus;
  /** How THIS node's failure detector sees the member (Dynamo §4.8): each node judges for itself. */
  readonly reachability: PeerReachability | 'self';
  readonly address: string;
  readonly httpUrl: string;
  readonly clientAddress: string | null;
  readonly zone: string | null;
  /** Partitions it owns in the serving ring. */
  readonly partitions: number;
}

export interface TransferReport {
  readonly id: string;
  readonly partition: number;
  readonly from: string;
  readonly to: string;
  readonly completed: boolean;
}

export interface NodeStatus {
  readonly name: string;
  /** The node's time when the report was made (the last step's). */
  readonly nowMs: number;
  /** Why it cannot coordinate requests now (KvNode.notReadyBecause), or null. */
  readonly notReadyBecause: string | null;
  readonly viewConfirmed: boolean;
  /** Whether it knows the partition epochs, and so takes replicas' writes (tombstones/epochs.ts). */
  readonly epochsKnown: boolean;
  readonly ring: {
    readonly version: number;
    readonly partitionCount: number;
    /** Whether a membership change is moving partitions now. */
    readonly transition: boolean;
  };
  readonly members: readonly MemberReport[];
  /** Every counter of the catalogue (counters.ts), zero when never counted. */
  readonly counters: Readonly<Record<CoreCounter, number>>;
  /** Operations in flight: coordinated requests and forwards. */
  readonly inflight: number;
  readonly hints: {
    /** Hints held, in all and per owner (Dynamo §4.6). */
    readonly pending: number;
    readonly pendingByOwner: Readonly<Record<string, number>>;
    /** Deliveries sent and not yet acknowledged. */
    readonly delivering: number;
  };
  readonly antiEntropy: {
    /** Keys in the hash trees built so far. */
    readonly keysStored: number;
    /** The background rate as a share of its budget (1: full; halves on back-off). */
    readonly rateShare: number;
  };
  readonly transfers: {
    /** The running change's transfers, cluster-wide, and whether each is known done. */
    readonly pending: readonly TransferReport[];
    /** What this node is sending now, and what it sent lately (newest first). */
    readonly local: readonly TransferProgress[];
  };
}
