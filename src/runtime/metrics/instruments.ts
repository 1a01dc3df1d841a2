/**
 * What the runtime records per request, per store op, per peer round trip and per disk commit
 * (the metrics the core cannot count: it has no clock finer than its step). Everything here is
 * preallocated: recording is arithmetic on numbers and typed arrays, never an allocation
 * (docs/operations.md, "What metrics cost").
 */
import type { NodeRequest, PeerMessage } from '../../core/messages.ts';
import type { StoreOp } from '../../core/replica/store-op.ts';
import { commitSecondsBounds, Histogram, requestSecondsBounds, stepSecondsBounds } from './histogram.ts';

/** Listings (keys of a bucket, bucket names) read every partition: timed apart from the key ops. */
export const clientOps = ['get', 'put', 'delete', 'list_keys', 'list_buckets'] as const;
export type ClientOp = (typeof clientOps)[number];

export function clientOpOf(request: NodeRequest): ClientOp {
  switch (request.kind) {
    case 'get':
      return 'get';
    case 'put':
      return request.deleted ? 'delete' : 'put';
    case 'listKeys':
      return 'list_keys';
    case 'listBuckets':
      return 'list_buckets';
    default:
      return request satisfies never;
  }
}

export const storeOpKinds = ['read', 'coordinate', 'merge', 'dropIfUnchanged'] as const satisfies readonly StoreOp['kind'][];

/** Requests to a peer whose reply carries their op id back, by the label they are recorded under. */
const peerRequests = {
  replicaRead: 'replica_read',
  replicaWrite: 'replica_write',
  forward: 'forward',
  hintDeliver: 'hint_deliver',
  ping: 'ping',
  transferChunk: 'transfer_chunk',
} as const satisfies Partial<Record<PeerMessage['kind'], string>>;
const peerReplies = {
  replicaReadReply: 'replica_read',
  replicaWriteReply: 'replica_write',
  forwardReply: 'forward',
  hintDeliverReply: 'hint_deliver',
  pong: 'ping',
  transferAck: 'transfer_chunk',
} as const satisfies Partial<Record<PeerMessage['kind'], PeerRequestKind>>;
export type PeerRequestKind = (typeof peerRequests)[keyof typeof peerRequests];
export const peerRequestKinds = Object.values(peerRequests) as readonly PeerRequestKind[];

/**
 * Send times of requests in flight, by op id in a direct-mapped table: op ids are handed out in
 * sequence, and a node has far fewer than this many in flight (limits.inflightRequestsMax), so a
 * slot is reused only long after its reply was due. A reply whose slot holds another op id is
 * not timed.
 */
const sendSlots = 1 << 16;

export class Instruments {
  readonly clientRequests = { get: 0, put: 0, delete: 0, list_keys: 0, list_buckets: 0 } satisfies Record<ClientOp, number>;
  /** Requests answered with an error, by op and error code. */
  readonly clientErrors: Record<ClientOp, Map<string, number>> = { get: new Map(), put: new Map(), delete: new Map(), list_keys: new Map(), list_buckets: new Map() };
  readonly clientSeconds: Record<ClientOp, Histogram> = histograms(clientOps, requestSecondsBounds);
  readonly storeOpSeconds: Record<StoreOp['kind'], Histogram> = histograms(storeOpKinds, stepSecondsBounds);
  readonly peerRoundTripSeconds: Record<PeerRequestKind, Histogram> = histograms(peerRequestKinds, requestSecondsBounds);
  /** The object buffer's commits to LMDB (storage/write-buffer.ts): the transaction and its fsync. */
  readonly commitSeconds = new Histogram(commitSecondsBounds);
  /** Appends to the write-ahead log (storage/write-ahead-log.ts): one O_DSYNC write. */
  readonly logAppendSeconds = new Histogram(commitSecondsBounds);
  private readonly sentOpIds = new Float64Array(sendSlots);
  private readonly sentAtMs = new Float64Array(sendSlots);

  /** A client request answered after `ms` milliseconds; `errorCode` when it failed. */
  onClientResult(op: ClientOp, ms: number, errorCode: string | undefined): void {
    this.clientRequests[op] += 1;
    this.clientSeconds[op].observe(ms / 1000);
    if (errorCode !== undefined) {
      const errors = this.clientErrors[op];
      errors.set(errorCode, (errors.get(errorCode) ?? 0) + 1);
    }
  }

  onPeerSend(message: PeerMessage, nowMs: number): void {
    if (!(message.kind in peerRequests)) return;
    const opId = (message as { readonly opId: number }).opId;
    const slot = opId & (sendSlots - 1);
    this.sentOpIds[slot] = opId;
    this.sentAtMs[slot] = nowMs;
  }

  onPeerReply(message: PeerMessage, nowMs: number): void {
    const kind = (peerReplies as Partial<Record<string, PeerRequestKind>>)[message.kind];
    if (kind === undefined) return;
    const opId = (message as { readonly opId: number }).opId;
    const slot = opId & (sendSlots - 1);
    if (this.sentOpIds[slot] === opId) this.peerRoundTripSeconds[kind].observe((nowMs - this.sentAtMs[slot]!) / 1000);
  }
}

function histograms<K extends string>(keys: readonly K[], bounds: readonly number[]): Record<K, Histogram> {
  return Object.fromEntries(keys.map((key) => [key, new Histogram(bounds)])) as Record<K, Histogram>;
}
