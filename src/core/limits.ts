/**
 * Every size, count and queue in kvorum has a limit, named here with its unit last
 * (TigerBeetle's rule). Values that an operator may change are defaults for the node config;
 * the rest are protocol constants.
 */
export const limits = {
  /** Bucket names are short identifiers: [A-Za-z0-9_.-], 1 to this many bytes. */
  bucketBytesMax: 64,
  /** Keys are any UTF-8 string of 1 to this many bytes. Default; configurable per node. */
  keyBytesMax: 1024,
  /** Largest value a put may carry. Default; configurable per node. */
  valueBytesMax: 1024 * 1024,
  /** Content-Type header kept with a value. */
  contentTypeBytesMax: 256,
  /**
   * Live siblings (values and tombstones) one key may hold before puts that add more are refused.
   * A soft limit: the coordinator checks it against its own copy, and concurrent puts through
   * other coordinators may join more siblings than it saw (up to `siblingsHardMax`).
   */
  siblingsCountMax: 32,
  /**
   * Siblings any merge keeps (replication, read repair, hints, transfers, anti-entropy): beyond
   * it the newest are kept and the rest dropped (version/object-bound.ts), the one case where
   * concurrent writes are lost. 1.5 × siblingsCountMax, so that this many values of the largest
   * size a config may allow (`valueBytesMaxLimit`) still fit one frame (`objectBytesMax`).
   */
  siblingsHardMax: 48,
  /**
   * One stored object, encoded (version/object-bytes.ts): what a single message may carry of it.
   * A frame less room for the message around it (a key of at most 1,910 bytes, a few numbers).
   */
  objectBytesMax: 64 * 1024 * 1024 - 64 * 1024,
  /**
   * The largest `valueBytesMax` a config may set: `siblingsHardMax` values of this size, with their
   * sibling fields, leave almost 4 MiB of `objectBytesMax` for the causal context. (A larger value
   * could make an object no frame can carry: issue 11 §2.)
   */
  valueBytesMaxLimit: 1280 * 1024,
  /** Encoded context token, as a client sends it back. */
  contextBytesMax: 8 * 1024,
  /** Actors in one causal context before the oldest idle ones are pruned (Dynamo §4.4 truncates at 10). */
  clockEntriesMax: 16,
  /** Isolated dots kept beside the version vector in one context. */
  contextDotsMax: 64,
  /** One frame between nodes (msgpack body), so a peer cannot make us buffer without bound. */
  frameBytesMax: 64 * 1024 * 1024,
  /** Partitions in a ring: a power of two. */
  partitionCountMin: 8,
  partitionCountMax: 1024,
  partitionCountDefault: 64,
  /** Replication factor bounds. */
  nValMax: 9,
  /** Nodes in one cluster. */
  nodesCountMax: 1000,
  /** Requests a node coordinates at once before answering `overloaded`. */
  inflightRequestsMax: 10_000,
  /** Replica reads waiting at once for this node's tombstone fence (tombstones/fence-waits.ts); more are served at once. */
  fenceWaitingReadsMax: 10_000,
  /** Frames queued for one peer while its connection is busy or being made. */
  peerQueueFramesMax: 10_000,
  /** Deadline of a client request, from arrival to answer. Default; per request overridable. */
  requestTimeoutMsDefault: 5_000,
  requestTimeoutMsMax: 60_000,
  /**
   * The object buffer's writer (Dynamo §6.1) commits what writes left in memory at most this long
   * after they were made: what a crash can cost a write acknowledged from the buffer. Default;
   * configurable per cluster (`flushIntervalMs`).
   */
  flushIntervalMsDefault: 100,
  flushIntervalMsMax: 10_000,
  /** Bytes of writes the buffer holds before its writer commits them without waiting for the interval. */
  writeBufferBytesMax: 8 * 1024 * 1024,
  /**
   * While a node coordinates at least `groupCommitBusyRequestsMin` requests, a wait for
   * durability holds its commit this long so that the others' writes join it (storage/
   * write-buffer.ts): an fsync costs ~300–400 µs of CPU here whatever it holds.
   */
  groupCommitWindowMs: 3,
  groupCommitBusyRequestsMin: 8,
  /** Operations in one batch request (`POST /v1/kv/{bucket}/_batch`, runtime/http/batch-route.ts). */
  batchOpsMax: 256,
  /** A batch request's body: its values in base64 (4/3 of their bytes), with keys and contexts. */
  batchBodyBytesMax: 16 * 1024 * 1024,
  /**
   * Bytes of values one batch answers: the gets answering past it get `value_too_large` (read those
   * alone), so that a batch cannot make a node hold hundreds of its largest values at once.
   */
  batchReplyValueBytesMax: 32 * 1024 * 1024,
} as const;

/**
 * When a replica may acknowledge a write (Dynamo §6.1, "Optimizations for performance vs.
 * durability"; docs/durability.md states what each promises):
 * - `sync`: every one of the W copies is on disk (committed and fsynced) before it counts;
 * - `one`: the coordinator's own copy is on disk before it counts — the paper's "durable write" by
 *   one replica, here always one of the W — and the other copies count once in the buffer;
 * - `buffered`: every copy counts once in the buffer; a writer commits it within `flushIntervalMs`.
 */
export type Durability = 'sync' | 'one' | 'buffered';

export const durabilities: readonly Durability[] = ['sync', 'one', 'buffered'];

export interface BucketProps {
  /** Replicas per key. */
  readonly n: number;
  /** Replies a get waits for. */
  readonly r: number;
  /** Stores (coordinator included) a put waits for. */
  readonly w: number;
  /** `siblings` keeps concurrent writes for the application to merge; `lww` keeps the newest (lossy). */
  readonly resolution: 'siblings' | 'lww';
  /** Of the R replies, how many must come from primaries, not fallbacks (Riak's pr; 0: any). */
  readonly pr: number;
  /** Of the W stores, how many must be on primaries, not hints on fallbacks (Riak's pw; 0: any). */
  readonly pw: number;
  /** When a copy counts toward W: on disk everywhere, on disk at the coordinator, or in the buffer. */
  readonly durability: Durability;
}

/**
 * The paper's most common configuration (Dynamo §6: N=3, R=2, W=2), with its durable-write
 * refinement (§6.1): `one` keeps every acknowledged write through any crash of any number of
 * nodes — the coordinator's copy is on disk — at one fsync per write instead of W.
 */
export const defaultBucketProps: BucketProps = { n: 3, r: 2, w: 2, resolution: 'siblings', pr: 0, pw: 0, durability: 'one' };
