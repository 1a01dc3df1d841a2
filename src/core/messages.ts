/**
 * Every message between nodes, one discriminated union on `kind` (DESIGN §9). Add kinds at the
 * end; never change the meaning of a field that has shipped — bump `protocolVersion` instead.
 *
 * Requests carry an `opId` chosen by the sender; the reply echoes it, which is how a node
 * multiplexes many operations over one connection per peer.
 */
import type { ErrorCode } from './errors.ts';
import type { ClusterView } from './membership/view.ts';
import type { CausalContext, StoredObject } from './version/types.ts';

/** Checked in the transport handshake; peers with another version are refused. */
export const protocolVersion = 1;

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

export type ClientRequest = GetRequest | PutRequest;

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
}

export interface ReplicaReadReply {
  readonly kind: 'replicaReadReply';
  readonly opId: number;
  /** null: this replica has nothing stored for the key. */
  readonly object: StoredObject | null;
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
  /**
   * The receiver stands in for this unreachable primary (sloppy quorum, Dynamo §4.6): keep the
   * version as a hint for it instead of storing it as owned data.
   */
  readonly hintFor?: string | undefined;
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
}

/** The owner stored a delivered hint (no error): the holder may delete it. */
export interface HintDeliverReply {
  readonly kind: 'hintDeliverReply';
  readonly opId: number;
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
  | HintDeliverReply;

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
};
