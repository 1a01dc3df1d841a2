/**
 * The node: the whole protocol of one kvorum node as a deterministic state machine
 * (DESIGN §3, after etcd raft's Step/Tick/Ready). `step(nowMs, input)` takes one input and
 * returns the effects the node wants; it does no I/O, reads no clock and draws no random
 * numbers, so the real runtime and the simulator drive the very same code.
 *
 * A node plays two roles at once: coordinator of client requests (coordinator/), and replica
 * of the partitions it owns (store ops on its own disk, replica/).
 */
import { assert, unreachable } from './assert.ts';
import { KvorumError } from './errors.ts';
import type { Effect, NodeInput, Requester } from './effects.ts';
import { limits, type BucketProps } from './limits.ts';
import type { ClientRequest, ClientResult, PeerMessage } from './messages.ts';
import { DeadlineQueue } from './deadline-queue.ts';
import { ForwardOperation } from './coordinator/forward.ts';
import { GetOperation } from './coordinator/get.ts';
import type { Operation, OperationHost, StoreTarget } from './coordinator/operation.ts';
import { PutOperation } from './coordinator/put.ts';
import type { StoreOp, StoreOutcome } from './replica/store-op.ts';
import { partitionOf } from './ring/hash.ts';
import { preferenceList } from './ring/ring.ts';
import type { Ring } from './ring/types.ts';
import type { Actor, StoredObject } from './version/types.ts';
import { viewOfRing } from './membership/initial-view.ts';
import type { MembershipHost, ScanResult } from './membership/host.ts';
import { Membership, type MembershipConfig } from './membership/membership.ts';
import { transferChunkBytesMax, transferEntriesMax } from './membership/transfer-limits.ts';
import { servingRing } from './membership/view.ts';
import { AntiEntropy } from './antientropy/anti-entropy.ts';
import type { AntiEntropyHost } from './antientropy/host.ts';
import { defaultAntiEntropySettings, type AntiEntropySettings } from './antientropy/settings.ts';
import {
  validateBucket,
  validateKey,
  validateQuorum,
  validateTimeout,
  validateValue,
  type RequestLimits,
} from './validate.ts';

export interface NodeConfig {
  readonly name: string;
  /** This node's writer id in version vectors: name plus the incarnation of its data dir. */
  readonly actor: Actor;
  readonly ring: Ring;
  /** Properties of a bucket (from the cluster config; defaults for unknown buckets). */
  readonly bucketProps: (bucket: string) => BucketProps;
  readonly requestTimeoutMs: number;
  readonly requestLimits: RequestLimits;
  /**
   * Where this process starts numbering its operations: a fresh random number per boot, drawn by
   * the runtime (the core draws none). Peers answer by op id, so ids must not repeat across
   * restarts: a late reply meant for the previous process would otherwise be taken as the answer
   * to an unrelated new operation (the simulator found this; docs/simulation.md).
   */
  readonly firstOpId: number;
  /**
   * Membership (core/membership/): the initial view, seeds, gossip seed. Without it the node
   * keeps `ring` as a static view of its members (unit tests, older callers).
   */
  readonly membership?: MembershipConfig | undefined;
  /** Anti-entropy settings (core/antientropy/settings.ts); defaults where not given. */
  readonly antiEntropy?: Partial<AntiEntropySettings> | undefined;
}

/** The largest first op id: leaves 2^52 operations before op ids leave the safe integers. */
export const firstOpIdMax = 2 ** 52;

/** Margin by which a forwarded request's deadline undercuts the forwarder's own. */
const forwardMarginMs = 50;

/** What to do with the outcome of a store op when it comes back. */
type StoreContinuation =
  | { readonly type: 'operation'; readonly operation: Operation }
  | { readonly type: 'replicaRead'; readonly from: string; readonly opId: number }
  | { readonly type: 'replicaWrite'; readonly from: string; readonly opId: number }
  | { readonly type: 'callback'; readonly done: (outcome: StoreOutcome) => void }
  | { readonly type: 'none' };

export class KvNode {
  private ring: Ring;
  private nowMs = 0;
  private nextOpId: number;
  private nextStoreId = 1;
  private effects: Effect[] = [];
  private readonly operations = new Map<number, Operation>();
  private readonly deadlines = new DeadlineQueue();
  private readonly storeContinuations = new Map<number, StoreContinuation>();
  readonly counters = new Map<string, number>();
  private readonly host: OperationHost;
  /** Where each pending write goes, so a stored write can be passed to membership (transfers). */
  private readonly writeTargets = new Map<number, { readonly target: StoreTarget; readonly passOn: boolean }>();
  private nextScanId = 1;
  private readonly scanContinuations = new Map<number, (result: ScanResult) => void>();
  readonly membership: Membership;
  readonly antiEntropy: AntiEntropy;

  constructor(private readonly config: NodeConfig) {
    assert(Number.isSafeInteger(config.firstOpId) && config.firstOpId >= 1 && config.firstOpId <= firstOpIdMax, `first op id ${config.firstOpId} outside [1, 2^52]`);
    this.nextOpId = config.firstOpId;
    this.host = this.makeHost();
    const membershipConfig = config.membership ?? staticMembership(config);
    this.membership = new Membership(membershipConfig, this.makeMembershipHost(), (view) => {
      this.ring = servingRing(view);
    });
    this.ring = servingRing(membershipConfig.initialView);
    const antiEntropySettings = { ...defaultAntiEntropySettings, partitionReplicas: membershipConfig.replicasN, ...config.antiEntropy };
    this.antiEntropy = new AntiEntropy(antiEntropySettings, this.makeAntiEntropyHost());
  }

  get name(): string {
    return this.config.name;
  }

  get currentRing(): Ring {
    return this.ring;
  }

  /** Operations in flight (coordinated requests and forwards). */
  get inflightCount(): number {
    return this.operations.size;
  }

  step(nowMs: number, input: NodeInput): Effect[] {
    assert(nowMs >= this.nowMs, 'time never goes backwards');
    this.nowMs = nowMs;
    switch (input.type) {
      case 'request':
        this.antiEntropy.onRequestStarted(input.requestId);
        this.onRequest({ type: 'client', requestId: input.requestId }, input.request, false);
        break;
      case 'message':
        this.onPeerMessage(input.from, input.message);
        break;
      case 'deliveryFailed':
        this.onDeliveryFailed(input.to, input.message);
        break;
      case 'stored':
        this.onStored(input.storeId, input.outcome);
        break;
      case 'tick':
        this.onTick();
        break;
      case 'transferScanned':
        this.onTransferScanned(input.scanId, { entries: input.entries, exhausted: input.exhausted });
        break;
      default:
        unreachable(input, 'node input');
    }
    return this.takeEffects();
  }

  /** Runs an operator command (join, leave, plan, commit…) against membership at `nowMs`. */
  command<T>(nowMs: number, run: (membership: Membership) => T): { result: T; effects: Effect[] } {
    assert(nowMs >= this.nowMs, 'time never goes backwards');
    this.nowMs = nowMs;
    try {
      return { result: run(this.membership), effects: this.takeEffects() };
    } catch (error) {
      this.takeEffects();
      throw error;
    }
  }

  private takeEffects(): Effect[] {
    const effects = this.effects;
    this.effects = [];
    return effects;
  }

  // ---- Client requests ----

  private onRequest(requester: Requester, request: ClientRequest, forwarded: boolean): void {
    try {
      this.count(`requests.${request.kind}`);
      this.startOperation(requester, request, forwarded);
    } catch (error) {
      if (!(error instanceof KvorumError)) throw error;
      this.answer(requester, { kind: 'error', ...error.toJSON() });
    }
  }

  private startOperation(requester: Requester, request: ClientRequest, forwarded: boolean): void {
    // A node started with only seeds owns a placeholder ring until gossip brings the cluster's;
    // a node outside the ring (not joined yet, or left) is not a peer the members can answer.
    if (this.ring.version === 0) throw new KvorumError('unavailable', `node ${this.name} has not learned the cluster's ring yet`);
    if (!this.ring.nodes.has(this.name)) throw new KvorumError('unavailable', `node ${this.name} is not a member of the ring; send requests to a member`);
    validateBucket(request.bucket);
    validateKey(request.key, this.config.requestLimits);
    const props = this.config.bucketProps(request.bucket);
    const timeoutMs = validateTimeout(request.timeoutMs, this.config.requestTimeoutMs);
    if (this.operations.size >= limits.inflightRequestsMax) {
      throw new KvorumError('overloaded', `node ${this.name} is coordinating ${this.operations.size} requests, its limit`);
    }
    const partition = partitionOf(request.bucket, request.key, this.ring.partitionCount);
    const target: StoreTarget = { partition, bucket: request.bucket, key: request.key };
    const replicas = preferenceList(this.ring, partition, props.n);
    const opId = this.nextOpId++;
    const deadlineMs = this.nowMs + timeoutMs;
    const resolution = props.resolution;
    let operation: Operation;
    if (request.kind === 'get') {
      const r = validateQuorum('r', request.r, props);
      operation = new GetOperation({ opId, deadlineMs, requester, target, replicas, r, resolution });
    } else {
      validateValue(request.value, request.contentType, this.config.requestLimits);
      const w = validateQuorum('w', request.w, props);
      if (!replicas.includes(this.name) && !forwarded) {
        const forwardedTimeoutMs = Math.max(1, timeoutMs - forwardMarginMs);
        operation = new ForwardOperation({ opId, deadlineMs, requester, request, candidates: replicas, forwardedTimeoutMs });
      } else {
        const intent = { value: request.value, contentType: request.contentType, deleted: request.deleted, context: request.context };
        operation = new PutOperation({ opId, deadlineMs, requester, target, replicas, w, intent, actor: this.config.actor, resolution });
      }
    }
    this.operations.set(opId, operation);
    this.deadlines.push(deadlineMs, opId);
    operation.start(this.host);
    this.forgetIfDone(operation);
  }

  // ---- Messages from peers ----

  private onPeerMessage(from: string, message: PeerMessage): void {
    switch (message.kind) {
      case 'replicaRead':
        this.storeFor({ type: 'replicaRead', from, opId: message.opId }, message, { kind: 'read' });
        break;
      case 'replicaWrite': {
        const { resolution } = this.config.bucketProps(message.bucket);
        this.storeFor({ type: 'replicaWrite', from, opId: message.opId }, message, { kind: 'merge', object: message.object, resolution });
        break;
      }
      case 'forward':
        this.onRequest({ type: 'peer', node: from, opId: message.opId }, message.request, true);
        break;
      case 'replicaReadReply':
      case 'replicaWriteReply':
      case 'forwardReply':
        this.withOperation(message.opId, (operation) => operation.onPeerMessage(this.host, from, message));
        break;
      case 'gossip':
      case 'transferChunk':
      case 'transferAck':
        this.membership.onMessage(from, message);
        break;
      case 'aaeExchange':
      case 'aaeExchangeReply':
      case 'aaeKeys':
      case 'aaeKeysReply':
      case 'aaeRepair':
        this.antiEntropy.onMessage(from, message);
        break;
      default:
        unreachable(message, 'peer message');
    }
  }

  private onDeliveryFailed(to: string, message: PeerMessage): void {
    this.count('deliveryFailures');
    switch (message.kind) {
      case 'replicaRead':
      case 'replicaWrite':
      case 'forward':
        this.withOperation(message.opId, (operation) => operation.onDeliveryFailed(this.host, to, message));
        break;
      case 'replicaReadReply':
      case 'replicaWriteReply':
      case 'forwardReply':
        // The requester will see its deadline pass; nothing to retry here.
        break;
      case 'gossip':
      case 'transferChunk':
      case 'transferAck':
        this.membership.onDeliveryFailed(message);
        break;
      case 'aaeExchange':
      case 'aaeExchangeReply':
      case 'aaeKeys':
      case 'aaeKeysReply':
      case 'aaeRepair':
        this.antiEntropy.onDeliveryFailed(to, message);
        break;
      default:
        unreachable(message, 'peer message');
    }
  }

  // ---- Store outcomes ----

  private onStored(storeId: number, outcome: StoreOutcome): void {
    const continuation = this.storeContinuations.get(storeId);
    assert(continuation, `store outcome for unknown store id ${storeId}`);
    this.storeContinuations.delete(storeId);
    const write = this.writeTargets.get(storeId);
    if (write !== undefined) {
      this.writeTargets.delete(storeId);
      this.antiEntropy.onLocalWrite(write.target, outcome);
      if (write.passOn && outcome.ok && outcome.object !== null) this.onLocalWrite(write.target, outcome.object);
    }
    switch (continuation.type) {
      case 'operation': {
        const { operation } = continuation;
        if (operation.done) return;
        operation.onStored(this.host, outcome);
        this.forgetIfDone(operation);
        return;
      }
      case 'replicaRead':
        this.send(continuation.from, {
          kind: 'replicaReadReply',
          opId: continuation.opId,
          object: outcome.ok ? outcome.object : null,
          error: outcome.ok ? undefined : { kind: 'error', ...outcome.error.toJSON() },
        });
        return;
      case 'replicaWrite':
        this.send(continuation.from, {
          kind: 'replicaWriteReply',
          opId: continuation.opId,
          error: outcome.ok ? undefined : { kind: 'error', ...outcome.error.toJSON() },
        });
        return;
      case 'callback':
        continuation.done(outcome);
        return;
      case 'none':
        return;
      default:
        unreachable(continuation, 'store continuation');
    }
  }

  // ---- Time ----

  private onTick(): void {
    for (const opId of this.deadlines.popExpired(this.nowMs)) {
      this.withOperation(opId, (operation) => operation.onDeadline(this.host));
    }
    this.membership.onTick();
    this.antiEntropy.onTick();
  }

  // ---- Membership plumbing ----

  private onLocalWrite(target: StoreTarget, object: StoredObject): void {
    this.membership.onLocalWrite(target.partition, target.bucket, target.key, object);
  }

  private onTransferScanned(scanId: number, result: ScanResult): void {
    const done = this.scanContinuations.get(scanId);
    assert(done, `scan result for unknown scan id ${scanId}`);
    this.scanContinuations.delete(scanId);
    done(result);
  }

  // ---- Plumbing ----

  private withOperation(opId: number, handle: (operation: Operation) => void): void {
    const operation = this.operations.get(opId);
    if (!operation) return; // finished already: late replies are expected and ignored
    handle(operation);
    this.forgetIfDone(operation);
  }

  private forgetIfDone(operation: Operation): void {
    if (operation.done) this.operations.delete(operation.opId);
  }

  private storeFor(continuation: StoreContinuation, target: StoreTarget, op: StoreOp): void {
    const storeId = this.nextStoreId++;
    this.storeContinuations.set(storeId, continuation);
    // Writes a transfer brought are not passed on again (membership.onLocalWrite).
    if (op.kind !== 'read') this.writeTargets.set(storeId, { target, passOn: continuation.type !== 'callback' });
    const { partition, bucket, key } = target;
    this.effects.push({ type: 'store', storeId, partition, bucket, key, op });
  }

  private send(to: string, message: PeerMessage): void {
    assert(to !== this.name, `node ${to} sends to itself`);
    this.effects.push({ type: 'send', to, message });
  }

  private answer(requester: Requester, result: ClientResult): void {
    if (requester.type === 'client') this.antiEntropy.onRequestAnswered(requester.requestId);
    if (result.kind === 'error') this.count(`errors.${result.code}`);
    if (requester.type === 'client') this.effects.push({ type: 'reply', requestId: requester.requestId, result });
    else this.send(requester.node, { kind: 'forwardReply', opId: requester.opId, result });
  }

  private count(metric: string, by = 1): void {
    this.counters.set(metric, (this.counters.get(metric) ?? 0) + by);
  }

  private makeMembershipHost(): MembershipHost {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const node = this;
    return {
      get self() {
        return node.name;
      },
      get nowMs() {
        return node.nowMs;
      },
      nextOpId: () => node.nextOpId++,
      send: (to, message) => node.send(to, message),
      persist: (name, value) => node.effects.push({ type: 'meta', name, value }),
      scan: (partition, after, done) => {
        const scanId = node.nextScanId++;
        node.scanContinuations.set(scanId, done);
        node.effects.push({ type: 'transferScan', scanId, partition, after, entriesMax: transferEntriesMax, bytesMax: transferChunkBytesMax });
      },
      store: (target, op, done) => node.storeFor({ type: 'callback', done }, target, op),
      resolutionOf: (bucket) => node.config.bucketProps(bucket).resolution,
      replicasOf: (partition, bucket) => preferenceList(node.ring, partition, node.config.bucketProps(bucket).n),
      count: (metric, by) => node.count(metric, by),
    };
  }

  private makeAntiEntropyHost(): AntiEntropyHost {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const node = this;
    return {
      get self() {
        return node.name;
      },
      get nowMs() {
        return node.nowMs;
      },
      get ring() {
        return node.ring;
      },
      nextOpId: () => node.nextOpId++,
      // Until the failure detector lands, every member counts as reachable: an exchange with a
      // down peer times out (exchangeTimeoutMs) and the next one picks another replica.
      isReachable: () => true,
      send: (to, message) => node.send(to, message),
      scan: (partition, after, entriesMax, bytesMax, done) => {
        const scanId = node.nextScanId++;
        node.scanContinuations.set(scanId, done);
        node.effects.push({ type: 'transferScan', scanId, partition, after, entriesMax, bytesMax });
      },
      read: (target, done) => node.storeFor({ type: 'callback', done }, target, { kind: 'read' }),
      merge: (target, object) => node.storeFor({ type: 'none' }, target, { kind: 'merge', object, resolution: node.config.bucketProps(target.bucket).resolution }),
      replicasOf: (bucket) => node.config.bucketProps(bucket).n,
      count: (metric, by) => node.count(metric, by),
    };
  }

  private makeHost(): OperationHost {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const node = this;
    return {
      get self() {
        return node.name;
      },
      get nowMs() {
        return node.nowMs;
      },
      send: (to, message) => node.send(to, message),
      store: (operation, target, op) =>
        node.storeFor(operation ? { type: 'operation', operation } : { type: 'none' }, target, op),
      answer: (requester, result) => node.answer(requester, result),
      count: (metric, by) => node.count(metric, by),
    };
  }
}

/** A node given only a ring: its members, no seeds, N from the default bucket. */
function staticMembership(config: NodeConfig): MembershipConfig {
  const self = config.ring.nodes.get(config.name);
  assert(self, `node ${config.name} is not a member of its ring`);
  return { self, seeds: new Map(), replicasN: config.bucketProps('').n, gossipSeed: config.firstOpId, initialView: viewOfRing(config.ring) };
}
