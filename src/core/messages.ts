/**
 * Every message between nodes, one discriminated union on `kind` (DESIGN §9). Add kinds at the
 * end; never change the meaning of a field that has shipped — bump `protocolVersion` instead.
 *
 * Requests carry an `opId` chosen by the sender; the reply echoes it, which is how a node
 * multiplexes many operations over one connection per peer.
 */
import type { PartitionEpoch } from './tombstones/epochs.ts';
import type { ErrorCode } from './errors.ts';
import type { ClusterView } from './membership/view.ts';
import type { CausalContext, StoredObject } from './version/types.ts';

/**
 * Checked in the transport handshake; peers with another version are refused. 2: stored objects
 * travel as their encoding, a msgpack `bin` (runtime/transport/object-wire.ts). 3: replica reads
 * and writes and their replies travel as arrays (runtime/transport/positional-messages.ts).
 */
export const protocolVersion = 3;

// ---- What a client asks of a node (over HTTP, or forwarded between nodes) ----

export interface GetRequest {
  readonly kind: 'get';
  readonly bucket: string;
  readonly key: string;
  /** Overrides the bucket's R for this request. */
  readonly r?: number | undefined;
  readonly timeoutMs?: number | undefined;
}

export interface PutRequest {
  readonly kind: 'put';
  readonly bucket: string;
  readonly key: string;
  readonly value: Uint8Array;
  readonly contentType: string;
  /** A tombstone: a delete is a put of `deleted` with the context it supersedes (DESIGN §2.5). */
  readonly deleted: boolean;
  readonly context: CausalContext | null;
  /** Overrides the bucket's W for this request. */
  readonly w?: number | undefined;
  readonly timeoutMs?: number | undefined;
}

/**
 * A page of a bucket's keys in order (issue 12 §6), read from one replica of every partition
 * (core/coverage/). Coordinated where it arrives; never forwarded.
 */
export interface ListKeysRequest {
  readonly kind: 'listKeys';
  readonly bucket: string;
  /** Keys after this one (the previous page's `next`); null: from the first. */
  readonly after: string | null;
  /** Keys to answer at most (core/coverage/listing-limits.ts). */
  readonly limit: number;
  /** Keys whose siblings are all tombstones too (is the bucket empty? bucket-props.ts); default false. */
  readonly withDeleted?: boolean | undefined;
  readonly timeoutMs?: number | undefined;
}

/** The names of the buckets that hold keys, or have properties of their own (issue 12 §6). */
export interface ListBucketsRequest {
  readonly kind: 'listBuckets';
  readonly timeoutMs?: number | undefined;
}

/** The requests on one key: what a node may forward to another. */
export type ClientRequest = GetRequest | PutRequest;

/** Every request a client may make of a node. */
export type NodeRequest = ClientRequest | ListKeysRequest | ListBucketsRequest;

export interface ClientError {
  readonly kind: 'error';
  readonly code: ErrorCode;
  readonly message: string;
  readonly detail?: Readonly<Record<string, unknown>> | undefined;
}

export type ClientResult =
  /** The reconciled object from R replicas; null when no replica has the key. */
  | { readonly kind: 'got'; readonly object: StoredObject | null }
  /** The causal history of the version just written (what the client passes to its next put). */
  | { readonly kind: 'stored'; readonly context: CausalContext }
  /** A page of keys in order; `next` is where the next page starts, null when the bucket ends here. */
  | { readonly kind: 'keys'; readonly keys: readonly string[]; readonly next: string | null }
  /** Bucket names, sorted; `truncated` when there were more than a listing answers. */
  | { readonly kind: 'buckets'; readonly buckets: readonly string[]; readonly truncated: boolean }
  | ClientError;

// ---- Between nodes ----

export interface ReplicaRead {
  readonly kind: 'replicaRead';
  readonly opId: number;
  readonly partition: number;
  readonly bucket: string;
  readonly key: string;
  /** The receiver is asked as a fallback (sloppy quorum): answer with the hints it holds for the key too. */
  readonly withHints?: boolean | undefined;
  /**
   * The coordinator's epoch of the partition: a receiver behind it waits a moment for its own
   * fence before it reads, since a reply read before it would be refused (tombstones/fence-waits.ts).
   */
  readonly epoch?: number | undefined;
}

export interface ReplicaReadReply {
  readonly kind: 'replicaReadReply';
  readonly opId: number;
  /** null: this replica has nothing stored for the key. */
  readonly object: StoredObject | null;
  /** The partition's epoch here when the read was issued (tombstones/epochs.ts). */
  readonly stamp: number;
  readonly error?: ClientError | undefined;
}

/** Store this version, merging it with what you have (replication, read repair). */
export interface ReplicaWrite {
  readonly kind: 'replicaWrite';
  readonly opId: number;
  readonly partition: number;
  readonly bucket: string;
  readonly key: string;
  readonly object: StoredObject;
  /** The least partition epoch at which what `object` joins was read (tombstones/epochs.ts). */
  readonly stamp: number;
  /**
   * The receiver stands in for this unreachable primary (sloppy quorum, Dynamo §4.6): keep the
   * version as a hint for it instead of storing it as owned data.
   */
  readonly hintFor?: string | undefined;
  /**
   * Whether to answer only once the copy is on disk (Dynamo §6.1; the bucket's `durability`).
   * Absent means durable: a sender that does not say is promised the most.
   */
  readonly durable?: boolean | undefined;
}

export interface ReplicaWriteReply {
  readonly kind: 'replicaWriteReply';
  readonly opId: number;
  readonly error?: ClientError | undefined;
}

/** A put that reached a node outside the key's preference list, sent on to one inside it. */
export interface Forward {
  readonly kind: 'forward';
  readonly opId: number;
  readonly request: ClientRequest;
}

export interface ForwardReply {
  readonly kind: 'forwardReply';
  readonly opId: number;
  readonly result: ClientResult;
}

// ---- Membership (core/membership/, Dynamo §4.8 and §4.9) ----

/** A node's view of the ring, pushed to a random peer; a peer that knows more answers with its own. */
export interface Gossip {
  readonly kind: 'gossip';
  readonly opId: number;
  readonly view: ClusterView;
  /** The sender's node address, so a node that is not yet a member can be answered. */
  readonly senderAddress: string;
  /** Answer with your view even if it is the same: the sender has just started (Membership.viewConfirmed). */
  readonly replyWanted?: boolean | undefined;
}

/** One key of a partition being transferred, as the sender stores it. */
export interface TransferEntry {
  readonly bucket: string;
  readonly key: string;
  readonly object: StoredObject;
}

/** A chunk of a partition transfer (Dynamo §4.9); the receiver merges every entry, then acks. */
export interface TransferChunk {
  readonly kind: 'transferChunk';
  readonly opId: number;
  /** The view version of the transition this transfer belongs to. */
  readonly version: number;
  readonly partition: number;
  readonly entries: readonly TransferEntry[];
  /** The partition's epoch at the sender when it read the entries (tombstones/epochs.ts). */
  readonly stamp: number;
  /** The partition's last chunk: once it is stored, the transfer is complete. */
  readonly last: boolean;
  /**
   * Set by a node that may not be a member (a stray sweep from a node that left or never joined),
   * so that the receiver can address its ack.
   */
  readonly senderAddress?: string | undefined;
}

export interface TransferAck {
  readonly kind: 'transferAck';
  readonly opId: number;
  readonly error?: ClientError | undefined;
}

// ---- Anti-entropy (core/antientropy/, Dynamo §4.7) ----

/** Opens an exchange of one partition: the initiator's branch hashes (the root is their XOR). */
export interface AaeExchange {
  readonly kind: 'aaeExchange';
  readonly opId: number;
  readonly partition: number;
  readonly branches: readonly string[];
}

export interface AaeSegmentHash {
  readonly segment: number;
  readonly hash: string;
}

/**
 * The responder's segment hashes under the branches that differ (`differ`); `same` when the
 * roots agree; `notReady` while its tree of the partition is still being built.
 */
export interface AaeExchangeReply {
  readonly kind: 'aaeExchangeReply';
  readonly opId: number;
  readonly partition: number;
  readonly status: 'same' | 'differ' | 'notReady';
  readonly segments: readonly AaeSegmentHash[];
}

export interface AaeKeyDigest {
  readonly bucket: string;
  readonly key: string;
  readonly digest: string;
}

/** The initiator's keys (with digests) in the segments that differ: the responder compares its own. */
export interface AaeKeys {
  readonly kind: 'aaeKeys';
  readonly opId: number;
  readonly partition: number;
  readonly segments: readonly number[];
  readonly keys: readonly AaeKeyDigest[];
}

/** The keys whose initiator version the responder wants (`busy`: it answers no more exchanges now). */
export interface AaeKeysReply {
  readonly kind: 'aaeKeysReply';
  readonly opId: number;
  readonly partition: number;
  readonly status: 'ok' | 'busy';
  readonly wanted: readonly { readonly bucket: string; readonly key: string }[];
}

/** Versions of differing keys: the receiver merges each into what it stores (no reply). */
export interface AaeRepair {
  readonly kind: 'aaeRepair';
  readonly opId: number;
  readonly partition: number;
  readonly objects: readonly TransferEntry[];
  /** The partition's epoch at the sender when it read the objects (tombstones/epochs.ts). */
  readonly stamp: number;
}

/** A heartbeat for the failure detector (Dynamo §4.8); any reply proves the sender alive. */
export interface Ping {
  readonly kind: 'ping';
  readonly opId: number;
}

export interface Pong {
  readonly kind: 'pong';
  readonly opId: number;
}

/** A version held as a hint for the receiver, handed back now that it is reachable (Dynamo §4.6). */
export interface HintDeliver {
  readonly kind: 'hintDeliver';
  readonly opId: number;
  readonly partition: number;
  readonly bucket: string;
  readonly key: string;
  readonly object: StoredObject;
  /** The partition's epoch at the holder when it sent the hint (tombstones/epochs.ts). */
  readonly stamp: number;
}

/** The owner stored a delivered hint (no error): the holder may delete it. */
export interface HintDeliverReply {
  readonly kind: 'hintDeliverReply';
  readonly opId: number;
  readonly error?: ClientError | undefined;
}

// ---- Tombstone collection (core/tombstones/, docs/handoff.md) ----

/** A node whose disk is new asks a member for the partition epochs. */
export interface EpochsQuery {
  readonly kind: 'epochsQuery';
  readonly opId: number;
}

/**
 * The answerer's epochs; `known` false when its disk is new too. `complete`: every partition (the
 * answer to an EpochsQuery), else only those of a refusal (tombstones/epoch-sync.ts).
 */
export interface EpochsReply {
  readonly kind: 'epochsReply';
  readonly opId: number;
  readonly known: boolean;
  readonly complete: boolean;
  /** Whether the answerer's view lists the receiver as an active member (only then may it catch up). */
  readonly toMember: boolean;
  readonly epochs: readonly PartitionEpoch[];
}

/** How a member holds one candidate of a round: exactly the tombstone, nothing, or anything else. */
export type CandidateHolding = 'tombstone' | 'absent' | 'other';

/**
 * Step 1 of a round: raise the partition to `epoch`, and say how each candidate is held here
 * (owned copy and hints). `view` names the view the round runs under (tombstones/round-view.ts).
 */
export interface TombFence {
  readonly kind: 'tombFence';
  readonly opId: number;
  readonly partition: number;
  readonly epoch: number;
  /**
   * For a removed participant, the collector's confirmed epoch: one whose fence is below it
   * missed a round that may have removed (0 for active members, which no such round leaves out).
   */
  readonly confirmed: number;
  readonly view: string;
  readonly candidates: readonly TransferEntry[];
}

export interface TombFenceReply {
  readonly kind: 'tombFenceReply';
  readonly opId: number;
  /** The answerer's incarnation (its base actor): a wiped node answers the confirm with another. */
  readonly incarnation: string;
  /** One per candidate, in order; empty when the fence was refused. */
  readonly holdings: readonly CandidateHolding[];
  /** The partition's epoch at the answerer now: a later round must go past it. */
  readonly epoch: number;
  /** Why the fence was refused (not the same view, epochs unknown…); absent when it was raised. */
  readonly refused?: string | undefined;
  /**
   * The answerer cannot take part in this collector's rounds (it does not know the epochs, or
   * missed a round that may have removed): a removed node saying so is left out of later ones.
   */
  readonly unfit?: true | undefined;
}

/** Step 2: does the answerer still hold the epoch, on the same disk? */
export interface TombConfirm {
  readonly kind: 'tombConfirm';
  readonly opId: number;
  readonly partition: number;
  readonly epoch: number;
  readonly view: string;
}

export interface TombConfirmReply {
  readonly kind: 'tombConfirmReply';
  readonly opId: number;
  readonly incarnation: string;
  readonly confirmed: boolean;
}

/** Step 3: drop each of these tombstones if it is still exactly what is stored (no reply). */
export interface TombRemove {
  readonly kind: 'tombRemove';
  readonly opId: number;
  readonly partition: number;
  readonly epoch: number;
  readonly entries: readonly TransferEntry[];
}

// ---- Listings (core/coverage/, issue 12 §6) ----

/**
 * A range of one partition's items, in storage order after `after`: the keys of `bucket` (live
 * ones; tombstones too with `withDeleted`), or with `bucket` null the names of the buckets that
 * hold keys there. A peer is asked for it (`ListRead`); a node reads it from its disk (the
 * `listScan` effect).
 */
export interface ListRange {
  readonly partition: number;
  readonly bucket: string | null;
  readonly after: string | null;
  readonly itemsMax: number;
  /** Bytes of the items' names at most (a read holds at least one item). */
  readonly bytesMax: number;
  readonly withDeleted: boolean;
}

/** A `ListRange` of the partitions the peer stores. */
export interface ListRead extends ListRange {
  readonly kind: 'listRead';
  readonly opId: number;
}

export interface ListReadReply {
  readonly kind: 'listReadReply';
  readonly opId: number;
  readonly items: readonly string[];
  /**
   * Where the next read of the partition starts: the last item examined, listed or not (a read
   * examines at most listReadEntriesMax entries); null when the partition ends here.
   */
  readonly next: string | null;
  readonly error?: ClientError | undefined;
}

export type PeerMessage =
  | ReplicaRead
  | ReplicaReadReply
  | ReplicaWrite
  | ReplicaWriteReply
  | Forward
  | ForwardReply
  | Gossip
  | TransferChunk
  | TransferAck
  | AaeExchange
  | AaeExchangeReply
  | AaeKeys
  | AaeKeysReply
  | AaeRepair
  | Ping
  | Pong
  | HintDeliver
  | HintDeliverReply
  | EpochsQuery
  | EpochsReply
  | TombFence
  | TombFenceReply
  | TombConfirm
  | TombConfirmReply
  | TombRemove
  | ListRead
  | ListReadReply;

export type PeerMessageKind = PeerMessage['kind'];

/** Stable numbers for the kinds, for logs and metrics labels; append only. */
export const peerMessageCodes: Readonly<Record<PeerMessageKind, number>> = {
  replicaRead: 1,
  replicaReadReply: 2,
  replicaWrite: 3,
  replicaWriteReply: 4,
  forward: 5,
  forwardReply: 6,
  ping: 7,
  pong: 8,
  hintDeliver: 9,
  hintDeliverReply: 10,
  aaeExchange: 11,
  aaeExchangeReply: 12,
  aaeKeys: 13,
  aaeKeysReply: 14,
  aaeRepair: 15,
  gossip: 20,
  transferChunk: 21,
  transferAck: 22,
  epochsQuery: 30,
  epochsReply: 31,
  tombFence: 32,
  tombFenceReply: 33,
  tombConfirm: 34,
  tombConfirmReply: 35,
  tombRemove: 36,
  listRead: 40,
  listReadReply: 41,
};
