/**
 * The node: the whole protocol of one kvorum node as a deterministic state machine
 * (DESIGN §3, after etcd raft's Step/Tick/Ready). `step(nowMs, input)` takes one input and
 * returns the effects the node wants; it does no I/O, reads no clock and draws no random
 * numbers, so the real runtime and the simulator drive the very same code.
 *
 * A node plays two roles at once: coordinator of client requests (coordinator/), and replica
 * of the partitions it owns (store ops on its own disk, replica/).
 */
import { assert, unreachable, assertFailed } from './assert.ts';
import { coreCounterNames, type CoreCounter } from './counters.ts';
import type { NodeStatus } from './status.ts';
import { KvorumError } from './errors.ts';
import type { Effect, NodeInput, Requester } from './effects.ts';
import { limits, type BucketProps } from './limits.ts';
import type { ClientError, ClientRequest, ClientResult, ListBucketsRequest, ListKeysRequest, ListRead, ListReadReply, NodeRequest, PeerMessage, ReplicaRead } from './messages.ts';
import { coveragePlan } from './coverage/coverage-plan.ts';
import { compareBucketNames, compareKeys } from './coverage/item-order.ts';
import { Listing, type ListingHost, type ListingOutcome } from './coverage/listing.ts';
import { bucketsListedMax, listChunkSizes, listingsConcurrentMax, listKeysLimitMax } from './coverage/listing-limits.ts';
import { compareCodeUnits } from './membership/view.ts';
import { DeadlineQueue } from './deadline-queue.ts';
import { ForwardOperation } from './coordinator/forward.ts';
import { GetOperation } from './coordinator/get.ts';
import type { Operation, OperationHost, StoreTarget } from './coordinator/operation.ts';
import { PutOperation } from './coordinator/put.ts';
import { silentTargetWaitMs } from './coordinator/sloppy-targets.ts';
import { ReplyTimeEstimate } from './coordinator/reply-time.ts';
import type { Hint, HintOp, HintOutcome } from './handoff/hint-op.ts';
import { HintedHandoff, type HandoffHost } from './handoff/hinted-handoff.ts';
import { FailureDetector, type PeerReachability } from './membership/failure-detector.ts';
import { pingTargets } from './membership/ping-targets.ts';
import { Pinger } from './membership/pinger.ts';
import type { StoreOp, StoreOutcome } from './replica/store-op.ts';
import { partitionOf } from './ring/hash.ts';
import { extendedPreferenceList, preferenceList, sharedPreferenceList } from './ring/ring.ts';
import type { Ring } from './ring/types.ts';
import type { Actor, StoredObject } from './version/types.ts';
import { isDeleted } from './version/stored-object.ts';
import { viewOfRing } from './membership/initial-view.ts';
import type { MembershipHost, ScanResult } from './membership/host.ts';
import { Membership, type MembershipConfig } from './membership/membership.ts';
import { transferChunkBytesMax, transferEntriesMax } from './membership/transfer-limits.ts';
import { bucketEntriesOf, servingRing, type ClusterView } from './membership/view.ts';
import { ActorGenerations, actorGenerationMetaName, encodeActorGeneration } from './replica/actor-generation.ts';
import { AntiEntropy } from './antientropy/anti-entropy.ts';
import type { AntiEntropyHost } from './antientropy/host.ts';
import { defaultAntiEntropySettings, type AntiEntropySettings } from './antientropy/settings.ts';
import { TombstoneCollector } from './tombstones/collector.ts';
import { EpochSync } from './tombstones/epoch-sync.ts';
import { encodeEpochsRecord, PartitionEpochs, tombstoneEpochsMetaName, type EpochsRecord } from './tombstones/epochs.ts';
import type { TombstoneHost } from './tombstones/host.ts';
import { TombstoneParticipant } from './tombstones/participant.ts';
import { defaultTombstoneSettings, type TombstoneSettings } from './tombstones/settings.ts';
import { CollectedTombstones } from './tombstones/collected.ts';
import { FenceWaits } from './tombstones/fence-waits.ts';
import { IdTable } from './id-table.ts';
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
  /** The actor generation its disk recorded (meta `actorGeneration`; 0 if none). */
  readonly actorGeneration?: number | undefined;
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
  /**
   * The partition epochs its disk recorded (meta `tombstoneEpochs`; null: a new disk, which must
   * learn them from a member before it takes objects, tombstones/epoch-sync.ts). Runtimes always
   * pass what the disk holds; left out (unit tests) the node starts as in a new cluster.
   */
  readonly tombstoneEpochs?: EpochsRecord | null | undefined;
  /** Tombstone collection settings (core/tombstones/settings.ts); defaults where not given. */
  readonly tombstones?: Partial<TombstoneSettings> | undefined;
  /**
   * Read repair (Dynamo §5): a get writes the reconciled version back to the primaries that
   * answered with less. On unless false (the simulator turns it off to prove the other repair
   * paths alone: docs/simulation.md).
   */
  readonly readRepair?: boolean | undefined;
  /**
   * Sloppy quorum and hinted handoff (Dynamo §4.6): requests go to the first N reachable nodes of
   * the extended preference list, a fallback keeps a write as a hint for the primary it stands in
   * for, and hands it back later. On unless false; off, requests go to the key's reachable
   * primaries only — a strict quorum: no fallback is asked, no hint made, a put is coordinated
   * only by a primary (the simulator turns it off to prove the other repair paths alone).
   */
  readonly hintedHandoff?: boolean | undefined;
}

/** The largest first op id: leaves 2^52 operations before op ids leave the safe integers. */
export const firstOpIdMax = 2 ** 52;

/** Margin by which a forwarded request's deadline undercuts the forwarder's own. */
const forwardMarginMs = 50;

/** What to do with the outcome of a store op when it comes back. */
type StoreContinuation =
  | { readonly type: 'operation'; readonly operation: Operation }
  | { readonly type: 'replicaRead'; readonly from: string; readonly opId: number; readonly stamp: number }
  | { readonly type: 'replicaWrite'; readonly from: string; readonly opId: number; readonly durable: boolean }
  | { readonly type: 'callback'; readonly done: (outcome: StoreOutcome) => void }
  | { readonly type: 'hintDeliver'; readonly from: string; readonly opId: number }
  | { readonly type: 'none' };

/** A store op in flight. `write`: where a write goes, so a stored one can be passed to membership (transfers). */
interface PendingStore {
  readonly continuation: StoreContinuation;
  readonly write: { readonly target: StoreTarget; readonly passOn: boolean; readonly stamp: number } | undefined;
}

export class KvNode {
  private ring: Ring;
  private nowMs = 0;
  private nextOpId: number;
  private nextStoreId = 1;
  private effects: Effect[] = [];
  /** By op id; an IdTable, not a Map, because it churns with every request (id-table.ts says why). */
  private readonly operations = new IdTable<Operation>();
  private readonly deadlines = new DeadlineQueue();
  /** When each operation looks for silent targets (sloppy-targets.ts, silentTargetWaitMs). */
  private readonly silenceChecks = new DeadlineQueue();
  /** When each get looks for late replicas (coordinator/reply-time.ts; checked on ticks). */
  private readonly lateChecks = new DeadlineQueue();
  /** How long replicas take to answer this node's gets (coordinator/reply-time.ts). */
  private readonly getReplyTimes = new ReplyTimeEstimate();
  /** Each store op in flight: what to do with its outcome, and for a write where it goes. */
  private readonly pendingStores = new IdTable<PendingStore>();
  /** Events counted so far (counters.ts); `status()` reports every one. */
  readonly counters = new Map<CoreCounter, number>();
  private readonly host: OperationHost;
  private nextScanId = 1;
  private readonly scanContinuations = new Map<number, (result: Omit<ScanResult, 'stamp'>) => void>();
  readonly membership: Membership;
  readonly antiEntropy: AntiEntropy;
  private readonly detector = new FailureDetector();
  /** This node's writer id, which changes when it drops copies holding its dots (actor-generation.ts). */
  private readonly writer: ActorGenerations;
  private readonly pinger = new Pinger(this.detector);
  private readonly handoff = new HintedHandoff();
  private readonly handoffHost: HandoffHost;
  private nextHintsId = 1;
  private readonly hintsContinuations = new Map<number, (outcome: HintOutcome) => void>();
  /** Callers waiting for the hint ops in flight when they asked (`afterHintOps`). */
  private readonly hintOpsWaiters: { readonly waitingFor: Set<number>; readonly done: () => void }[] = [];
  /** Partition epochs: the fence that lets tombstones be collected (tombstones/epochs.ts). */
  readonly epochs: PartitionEpochs;
  private readonly epochSync: EpochSync;
  private readonly tombstoneParticipant: TombstoneParticipant;
  readonly tombstoneCollector: TombstoneCollector;
  /** What this node's rounds removed here lately, so that late copies read before other replicas' removals do not plant it back. */
  private readonly collected: CollectedTombstones;
  /** Replica reads waiting for this node's fence to reach their coordinator's epoch (tombstones/fence-waits.ts). */
  private readonly fenceWaits = new FenceWaits<{ readonly from: string; readonly message: ReplicaRead }>(limits.fenceWaitingReadsMax);
  private readonly tombstoneSettings: TombstoneSettings;
  private nextFlushId = 1;
  /** By flush id; an IdTable, not a Map: a flush per durable write (id-table.ts says why). */
  private readonly flushContinuations = new IdTable<(ok: boolean) => void>();
  /** Operations waiting for this node to reach a partition's epoch (OperationHost.afterEpoch). */
  private epochWaiters: { readonly operation: Operation; readonly partition: number; readonly epoch: number; readonly done: () => void }[] = [];
  /** Buckets whose properties the view sets (bucket-props.ts), by name. */
  private bucketSettings: ReadonlyMap<string, BucketProps>;
  /** The largest N of any bucket: what the ring was claimed for (MembershipConfig.replicasN). */
  private readonly replicasN: number;
  /** Listings this node coordinates (coverage/listing.ts), each with the host it reads through. */
  private readonly listings = new Map<Listing, ListingHost>();
  /** The listing each list read in flight belongs to, by op id. */
  private readonly listingReads = new Map<number, Listing>();
  private nextListScanId = 1;
  private readonly listScanContinuations = new Map<number, (result: { ok: boolean; items: readonly string[]; next: string | null }) => void>();

  constructor(private readonly config: NodeConfig) {
    if (!(Number.isSafeInteger(config.firstOpId) && config.firstOpId >= 1 && config.firstOpId <= firstOpIdMax)) assertFailed(`first op id ${config.firstOpId} outside [1, 2^52]`);
    this.nextOpId = config.firstOpId;
    this.writer = new ActorGenerations(config.actor, config.actorGeneration ?? 0);
    this.host = this.makeHost();
    const membershipConfig = config.membership ?? staticMembership(config);
    this.membership = new Membership(membershipConfig, this.makeMembershipHost(), (view) => {
      this.ring = servingRing(view);
      this.bucketSettings = bucketSettingsOf(view);
    });
    this.ring = servingRing(membershipConfig.initialView);
    this.bucketSettings = bucketSettingsOf(membershipConfig.initialView);
    this.replicasN = membershipConfig.replicasN;
    const antiEntropySettings = { ...defaultAntiEntropySettings, partitionReplicas: membershipConfig.replicasN, ...config.antiEntropy };
    this.antiEntropy = new AntiEntropy(antiEntropySettings, this.makeAntiEntropyHost());
    this.handoffHost = this.makeHandoffHost();
    this.epochs = new PartitionEpochs(config.tombstoneEpochs === undefined ? { known: true, member: true, fresh: false, epochs: [] } : config.tombstoneEpochs);
    const tombstoneSettings = { ...defaultTombstoneSettings, ...config.tombstones };
    this.tombstoneSettings = tombstoneSettings;
    this.collected = new CollectedTombstones(tombstoneSettings.removedCopiesWindowMs, tombstoneSettings.removedCopiesCountMax);
    const tombstoneHost = this.makeTombstoneHost();
    this.epochSync = new EpochSync(tombstoneSettings, tombstoneHost);
    this.tombstoneParticipant = new TombstoneParticipant(tombstoneHost);
    this.tombstoneCollector = new TombstoneCollector(tombstoneSettings, tombstoneHost, this.tombstoneParticipant);
  }

  get name(): string {
    return this.config.name;
  }

  /** A bucket's properties: as set at run time (gossiped in the view, bucket-props.ts), else the config's. */
  bucketProps(bucket: string): BucketProps {
    return this.bucketSettings.get(bucket) ?? this.config.bucketProps(bucket);
  }

  get currentRing(): Ring {
    return this.ring;
  }

  /** Whether this node's failure detector (Dynamo §4.8) takes `peer` to be reachable now. */
  isReachable(peer: string): boolean {
    return peer === this.name || this.detector.isReachable(peer, this.nowMs);
  }

  /** When any message from `peer` last arrived (it got through the transport's handshake); undefined if never. */
  lastHeardMs(peer: string): number | undefined {
    return this.detector.lastHeardMs(peer);
  }

  /** The failure detector's view of `peer`, for status pages. */
  reachability(peer: string): PeerReachability | 'self' {
    return peer === this.name ? 'self' : this.detector.reachability(peer, this.nowMs);
  }

  /** Hints this node holds for unreachable owners, not yet delivered (Dynamo §4.6). */
  get hintsPendingCount(): number {
    return this.handoff.pending;
  }

  /** Operations in flight (coordinated requests and forwards). */
  get inflightCount(): number {
    return this.operations.size;
  }

  /** What this node reports of itself, as plain data (status.ts): metrics, dashboards, `kvorum top`. */
  status(): NodeStatus {
    const counters = {} as Record<CoreCounter, number>;
    for (const name of coreCounterNames) counters[name] = this.counters.get(name) ?? 0;
    const view = this.membership.view;
    const owned = new Map<string, number>();
    for (const owner of this.ring.owners) owned.set(owner, (owned.get(owner) ?? 0) + 1);
    const transfers = this.membership.transfers();
    let finished = 0;
    return {
      name: this.name,
      nowMs: this.nowMs,
      notReadyBecause: this.notReadyBecause(),
      viewConfirmed: this.membership.viewConfirmed,
      epochsKnown: this.epochs.known,
      ring: { version: this.ring.version, partitionCount: this.ring.partitionCount, transition: view.next !== null },
      members: view.members.map((member) => ({
        name: member.name,
        membership: member.status,
        reachability: this.reachability(member.name),
        address: member.address,
        httpUrl: member.httpUrl,
        clientAddress: member.clientAddress ?? null,
        zone: member.zone ?? null,
        partitions: owned.get(member.name) ?? 0,
      })),
      counters,
      inflight: this.operations.size,
      hints: { pending: this.handoff.pending, pendingByOwner: Object.fromEntries(this.handoff.pendingByOwner), delivering: this.handoff.delivering },
      antiEntropy: { keysStored: this.antiEntropy.keysCount(), rateShare: this.antiEntropy.rateShare },
      transfers: {
        pending: transfers.pending,
        local: transfers.local.filter((transfer) => transfer.state !== 'done' || finished++ < statusFinishedTransfersMax),
      },
    };
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
      case 'hintsDone':
        this.onHintsDone(input.hintsId, input.outcome);
        break;
      case 'flushed':
        this.onFlushed(input.flushId, input.ok);
        break;
      case 'listScanned':
        this.onListScanned(input.scanId, input);
        break;
      default:
        unreachable(input, 'node input');
    }
    if (this.epochWaiters.length > 0) this.wakeEpochWaiters();
    if (this.fenceWaits.size > 0) for (const { from, message } of this.fenceWaits.due((partition) => this.epochs.of(partition), this.nowMs)) this.serveRead(from, message);
    return this.takeEffects();
  }

  /** Calls the operations whose partition has reached the epoch they wait for (or that ended meanwhile: forgotten). */
  private wakeEpochWaiters(): void {
    const due = this.epochWaiters.filter(({ operation, partition, epoch }) => operation.done || this.epochs.of(partition) >= epoch);
    if (due.length === 0) return;
    this.epochWaiters = this.epochWaiters.filter((waiter) => !due.includes(waiter));
    for (const { operation, done } of due) {
      if (operation.done) continue;
      done();
      this.forgetIfDone(operation);
    }
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

  private onRequest(requester: Requester, request: NodeRequest, forwarded: boolean): void {
    try {
      if (request.kind === 'listKeys' || request.kind === 'listBuckets') this.startListing(requester, request);
      else this.startOperation(requester, request, forwarded);
    } catch (error) {
      if (!(error instanceof KvorumError)) throw error;
      this.answer(requester, { kind: 'error', ...error.toJSON() });
    }
  }

  /** Why this node cannot coordinate requests now, or null when it can. */
  notReadyBecause(): string | null {
    // A node started with only seeds owns a placeholder ring until gossip brings the cluster's;
    // a node outside the ring (not joined yet, or left) is not a peer the members can answer.
    if (this.ring.version === 0) return `node ${this.name} has not learned the cluster's ring yet`;
    if (!this.ring.nodes.has(this.name)) return `node ${this.name} is not a member of the ring; send requests to a member`;
    if (!this.membership.viewConfirmed) return `node ${this.name} has not heard the cluster's view since it started`;
    // Until then its writes would be refused by every replica and left on its disk, and its reads
    // could answer a version a collection removed (core/tombstones/epoch-sync.ts).
    if (!this.epochs.known) return `node ${this.name} has not learned the partition epochs from the other members yet`;
    return null;
  }

  private startOperation(requester: Requester, request: ClientRequest, forwarded: boolean): void {
    const notReady = this.notReadyBecause();
    if (notReady !== null) throw new KvorumError('unavailable', notReady);
    validateBucket(request.bucket);
    validateKey(request.key, this.config.requestLimits);
    const props = this.bucketProps(request.bucket);
    const timeoutMs = validateTimeout(request.timeoutMs, this.config.requestTimeoutMs);
    if (this.operations.size >= limits.inflightRequestsMax) {
      throw new KvorumError('overloaded', `node ${this.name} is coordinating ${this.operations.size} requests, its limit`);
    }
    const partition = partitionOf(request.bucket, request.key, this.ring.partitionCount);
    const target: StoreTarget = { partition, bucket: request.bucket, key: request.key };
    const extended = extendedPreferenceList(this.ring, partition);
    const replicas = extended.slice(0, props.n);
    const opId = this.nextOpId++;
    const deadlineMs = this.nowMs + timeoutMs;
    const resolution = props.resolution;
    // A strict quorum (hinted handoff off) asks the primaries only.
    const sloppy = this.config.hintedHandoff !== false;
    const targets = sloppy ? extended : replicas;
    let operation: Operation;
    if (request.kind === 'get') {
      const r = validateQuorum('r', request.r, props);
      const readRepair = this.config.readRepair !== false;
      operation = new GetOperation({ opId, deadlineMs, requester, target, extended: targets, n: props.n, r, pr: props.pr, resolution, readRepair, replyTimes: this.getReplyTimes });
    } else {
      validateValue(request.value, request.contentType, this.config.requestLimits);
      const w = validateQuorum('w', request.w, props);
      // Forward to a reachable primary; with none reachable, coordinate here (sloppy quorum, Dynamo §4.6).
      const primaryReachable = replicas.some((node) => this.isReachable(node));
      if (!replicas.includes(this.name) && !forwarded && primaryReachable) {
        const forwardedTimeoutMs = Math.max(1, timeoutMs - forwardMarginMs);
        const primaries = (): readonly string[] => extendedPreferenceList(this.ring, partition).slice(0, this.bucketProps(request.bucket).n);
        operation = new ForwardOperation({ opId, deadlineMs, requester, request, primaries, forwardedTimeoutMs });
      } else if (!sloppy && !replicas.includes(this.name) && !primaryReachable) {
        // Under a strict quorum nobody outside the list may stand in. (Forwarded here by a node
        // whose ring still named this one, it coordinates for the reachable primaries: strict-targets.ts.)
        throw new KvorumError('unavailable', `node ${this.name} is not a replica of the key and none of its primaries (${replicas.join(', ')}) is reachable (strict quorum)`);
      } else {
        const intent = { value: request.value, contentType: request.contentType, deleted: request.deleted, context: request.context };
        const { durability } = props;
        const plan = { opId, deadlineMs, requester, target, extended: targets, n: props.n, w, pw: props.pw, intent, resolution, durability, sloppy };
        operation = new PutOperation(plan);
      }
    }
    this.operations.set(opId, operation);
    this.deadlines.push(deadlineMs, opId);
    const silentMs = silentTargetWaitMs(timeoutMs);
    if (operation.onSilence) this.silenceChecks.push(this.nowMs + silentMs, opId);
    if (operation.onLate) {
      // A get asked only R nodes: one more, once they are later than replies usually are here.
      const lateMs = this.getReplyTimes.askAnotherAfterMs(silentMs);
      if (lateMs < silentMs) this.lateChecks.push(this.nowMs + lateMs, opId);
    }
    if (operation instanceof PutOperation && !this.writer.isOnDisk) {
      // Routed again (with what is left of its time) if the ring changes while it waits: below.
      this.startWhenWriterOnDisk(operation, () => this.onRequest(requester, { ...request, timeoutMs: Math.max(1, deadlineMs - this.nowMs) }, forwarded));
    } else operation.start(this.host);
    this.forgetIfDone(operation);
  }

  /**
   * Starts a put once this node's current actor generation is recorded on disk: after a drop moved
   * the writer to a new generation, the first put waits for one flush (actor-generation.ts).
   * If the ring changed meanwhile, the put is routed again under the ring as it is now: where it
   * was routed at arrival, this node may be no replica any more (the simulator's placement
   * checker: seed 840 of --converge-by antiEntropy, a join committed during a slow disk's flush,
   * and the put coordinated by a node that had just stopped being a primary).
   */
  private startWhenWriterOnDisk(operation: PutOperation, reroute: () => void): void {
    if (this.writer.isOnDisk) return operation.start(this.host);
    const { generation } = this.writer;
    const ring = this.ring;
    this.flush((ok) => {
      if (ok) this.writer.recordedOnDisk(generation);
      if (operation.done) return;
      if (ok && this.ring !== ring) {
        operation.done = true; // not started: nothing to answer, nothing sent
        this.forgetIfDone(operation);
        return reroute();
      }
      if (ok) this.startWhenWriterOnDisk(operation, reroute);
      else operation.onStored(this.host, { ok: false, error: new KvorumError('unavailable', `node ${this.name} could not record its writer on disk`) });
      this.forgetIfDone(operation);
    });
  }

  // ---- Listings (coverage/, issue 12 §6) ----

  /**
   * Starts a listing of a bucket's keys, or of bucket names, over one replica of every partition
   * (coverage/coverage-plan.ts). Coordinated here, never forwarded: any node can read any partition.
   */
  private startListing(requester: Requester, request: ListKeysRequest | ListBucketsRequest): void {
    const notReady = this.notReadyBecause();
    if (notReady !== null) throw new KvorumError('unavailable', notReady);
    const timeoutMs = validateTimeout(request.timeoutMs, this.config.requestTimeoutMs);
    if (this.listings.size >= listingsConcurrentMax) throw new KvorumError('overloaded', `node ${this.name} is running ${this.listings.size} listings, its limit`, { listingsConcurrentMax });
    const keys = request.kind === 'listKeys';
    if (keys) {
      validateBucket(request.bucket);
      if (request.after !== null) validateKey(request.after, this.config.requestLimits);
      if (!Number.isInteger(request.limit) || request.limit < 1 || request.limit > listKeysLimitMax) {
        throw new KvorumError('bad_query', `limit must be an integer from 1 to ${listKeysLimitMax} (got ${request.limit})`);
      }
    }
    const partitions = this.ring.partitionCount;
    // One more bucket than answered: a listing that finds it says the answer is cut (truncated).
    const limit = keys ? request.limit : bucketsListedMax + 1;
    // The largest N for bucket names: the keys of every bucket are on its partition's first replica.
    const n = keys ? this.bucketProps(request.bucket).n : this.replicasN;
    const chunk = listChunkSizes(limit, partitions);
    const listing = new Listing({
      requester,
      bucket: keys ? request.bucket : null,
      after: keys ? request.after : null,
      limit,
      deadlineMs: this.nowMs + timeoutMs,
      candidates: coveragePlan(this.ring, n, keys ? this.name : null, (node) => this.isReachable(node)),
      withDeleted: keys && request.withDeleted === true,
      chunkItems: chunk.items,
      chunkBytes: chunk.bytes,
      compare: keys ? compareKeys : compareBucketNames,
    });
    const host = this.makeListingHost(listing, keys ? 'keys' : 'buckets');
    this.listings.set(listing, host);
    listing.start(host);
  }

  private onListingFinished(listing: Listing, what: 'keys' | 'buckets', outcome: ListingOutcome): void {
    this.listings.delete(listing);
    for (const [opId, owner] of this.listingReads) if (owner === listing) this.listingReads.delete(opId);
    if (outcome.kind === 'error') return this.answer(listing.requester, outcome);
    if (what === 'keys') return this.answer(listing.requester, { kind: 'keys', keys: outcome.items, next: outcome.more ? outcome.items.at(-1)! : null });
    // Buckets with properties of their own are buckets too, keys or not.
    const names = [...new Set([...outcome.items, ...this.bucketSettings.keys()])].sort(compareCodeUnits);
    const truncated = outcome.more || names.length > bucketsListedMax;
    this.answer(listing.requester, { kind: 'buckets', buckets: names.slice(0, bucketsListedMax), truncated });
  }

  /** A replica's side of a listing: reads its own storage and answers (coverage/listing.ts). */
  private readForListing(read: ListRead, reply: (reply: ListReadReply) => void): void {
    const scanId = this.nextListScanId++;
    this.listScanContinuations.set(scanId, (result) => {
      if (result.ok) return reply({ kind: 'listReadReply', opId: read.opId, items: result.items, next: result.next });
      const error = new KvorumError('unavailable', `node ${this.name} could not read partition ${read.partition}`);
      reply({ kind: 'listReadReply', opId: read.opId, items: [], next: read.after, error: { kind: 'error', ...error.toJSON() } });
    });
    const { partition, bucket, after, itemsMax, bytesMax, withDeleted } = read;
    this.effects.push({ type: 'listScan', scanId, partition, bucket, after, itemsMax, bytesMax, withDeleted });
  }

  private onListScanned(scanId: number, result: { ok: boolean; items: readonly string[]; next: string | null }): void {
    const done = this.listScanContinuations.get(scanId);
    if (!done) assertFailed(`list scan result for unknown scan id ${scanId}`);
    this.listScanContinuations.delete(scanId);
    done(result);
  }

  private onListReadReply(reply: ListReadReply): void {
    const listing = this.listingReads.get(reply.opId);
    if (listing === undefined) return; // its listing ended, or gave the read up
    this.listingReads.delete(reply.opId);
    listing.onReply(this.listings.get(listing)!, reply);
  }

  private makeListingHost(listing: Listing, what: 'keys' | 'buckets'): ListingHost {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const node = this;
    const register = (opId: number): void => void node.listingReads.set(opId, listing);
    return {
      get self() {
        return node.name;
      },
      get nowMs() {
        return node.nowMs;
      },
      nextOpId: () => node.nextOpId++,
      send: (to, read) => {
        register(read.opId);
        node.send(to, read);
      },
      readLocal: (read) => {
        register(read.opId);
        node.readForListing(read, (reply) => node.onListReadReply(reply));
      },
      finish: (finished, outcome) => node.onListingFinished(finished, what, outcome),
    };
  }

  // ---- Messages from peers ----

  private onPeerMessage(from: string, message: PeerMessage): void {
    this.detector.heard(from, this.nowMs); // every message is a heartbeat (Dynamo §4.8)
    switch (message.kind) {
      case 'replicaRead': {
        // A coordinator ahead of this node would refuse a read made now: wait a moment for this
        // node's own fence (tombstones/fence-waits.ts), rather than take the epoch from it.
        const { partition, epoch } = message;
        const behind = epoch !== undefined && this.epochs.known && this.epochs.of(partition) < epoch;
        if (!behind || !this.fenceWaits.park({ partition, epoch, untilMs: this.nowMs + this.tombstoneSettings.readFenceWaitMs, read: { from, message } })) this.serveRead(from, message);
        break;
      }
      case 'replicaWrite': {
        if (this.refusesObjects(from, message.partition, message.stamp)) {
          this.send(from, { kind: 'replicaWriteReply', opId: message.opId, error: this.staleError(message.partition, message.stamp) });
          break;
        }
        if (this.wasCollected(message, message.object)) {
          this.send(from, { kind: 'replicaWriteReply', opId: message.opId });
          break;
        }
        const { resolution } = this.bucketProps(message.bucket);
        const durable = message.durable !== false;
        if (message.hintFor != null && message.hintFor !== this.name) this.keepHintFor(from, message.opId, { ...message, owner: message.hintFor }, resolution, durable);
        else this.storeFor({ type: 'replicaWrite', from, opId: message.opId, durable }, message, { kind: 'merge', object: message.object, resolution });
        break;
      }
      case 'hintDeliver': {
        if (this.refusesObjects(from, message.partition, message.stamp)) {
          this.send(from, { kind: 'hintDeliverReply', opId: message.opId, error: this.staleError(message.partition, message.stamp) });
          break;
        }
        if (this.wasCollected(message, message.object)) {
          this.send(from, { kind: 'hintDeliverReply', opId: message.opId });
          break;
        }
        // The owner merges a handed-back hint exactly as a replica write.
        const { resolution } = this.bucketProps(message.bucket);
        this.storeFor({ type: 'hintDeliver', from, opId: message.opId }, message, { kind: 'merge', object: message.object, resolution });
        break;
      }
      case 'ping':
        this.send(from, { kind: 'pong', opId: message.opId });
        break;
      case 'pong':
        break;
      case 'hintDeliverReply':
        this.handoff.onReply(this.handoffHost, from, message);
        break;
      case 'forward':
        this.onRequest({ type: 'peer', node: from, opId: message.opId }, message.request, true);
        break;
      case 'replicaReadReply':
      case 'replicaWriteReply':
      case 'forwardReply':
        this.withOperation(message.opId, (operation) => operation.onPeerMessage(this.host, from, message));
        break;
      case 'transferChunk':
        if (this.refusesObjects(from, message.partition, message.stamp)) {
          this.send(from, { kind: 'transferAck', opId: message.opId, error: this.staleError(message.partition, message.stamp) });
          break;
        }
        // A member taking part in a round (one removed from the ring too, sweeping its strays) may
        // have scanned a tombstone after the fence and before its remove arrived: acknowledged
        // with the chunk, not stored back (tombstones/collected.ts).
        this.membership.onMessage(from, { ...message, entries: message.entries.filter(({ bucket, key, object }) => !this.wasCollected({ partition: message.partition, bucket, key }, object)) });
        break;
      case 'gossip':
      case 'transferAck':
        this.membership.onMessage(from, message);
        break;
      case 'aaeRepair':
        if (this.refusesObjects(from, message.partition, message.stamp)) break; // a repair is not answered; the next exchange repairs again
        this.antiEntropy.onMessage(from, { ...message, objects: message.objects.filter(({ bucket, key, object }) => !this.wasCollected({ partition: message.partition, bucket, key }, object)) });
        break;
      case 'aaeExchange':
      case 'aaeExchangeReply':
      case 'aaeKeys':
      case 'aaeKeysReply':
        this.antiEntropy.onMessage(from, message);
        break;
      case 'epochsQuery':
        this.epochSync.onQuery(from, message);
        break;
      case 'epochsReply':
        this.epochSync.onReply(from, message);
        break;
      case 'tombFence':
        this.tombstoneParticipant.onFence(message, (reply) => this.send(from, reply));
        break;
      case 'tombConfirm':
        this.tombstoneParticipant.onConfirm(message, (reply) => this.send(from, reply));
        break;
      case 'tombRemove':
        this.tombstoneParticipant.onRemove(message);
        break;
      case 'tombFenceReply':
        this.tombstoneCollector.onFenceReply(from, message);
        break;
      case 'tombConfirmReply':
        this.tombstoneCollector.onConfirmReply(from, message);
        break;
      case 'listRead': {
        // Only a replica in this node's view answers: a coordinator of an older view may ask a
        // node the partition moved away from, which may have handed its keys off and dropped
        // them; its empty answer would drop them from the listing. Refused, it asks the next.
        if (!preferenceList(this.ring, message.partition, this.replicasN).includes(this.name)) {
          const error = new KvorumError('unavailable', `node ${this.name} does not replicate partition ${message.partition} in its view (version ${this.ring.version})`);
          this.send(from, { kind: 'listReadReply', opId: message.opId, items: [], next: message.after, error: { kind: 'error', ...error.toJSON() } });
          break;
        }
        this.readForListing(message, (reply) => this.send(from, reply));
        break;
      }
      case 'listReadReply':
        this.onListReadReply(message);
        break;
      default:
        unreachable(message, 'peer message');
    }
  }

  /**
   * Objects read at partition epoch `stamp` are refused when a collection round has fenced the
   * partition since, or while this node does not know the epochs (tombstones/epochs.ts). The
   * sender is told the epoch: a member behind only by rounds that removed nothing catches up
   * (epoch-sync.ts), and its next attempt is taken.
   */
  private refusesObjects(from: string, partition: number, stamp: number): boolean {
    // A partition this node gave up (it is behind a round, outside the ring) takes nothing more:
    // a write acknowledged here would be dropped with the rest (epochs.ts `abandon`).
    if (this.epochs.isAbandoned(partition)) return true;
    if (!this.epochs.refuses(partition, stamp)) return false;
    this.count('tombstones.staleRefused');
    if (this.epochs.known && from !== this.name) {
      const toMember = this.membership.view.members.some((member) => member.name === from && member.status !== 'removed');
      this.send(from, { kind: 'epochsReply', opId: this.nextOpId++, known: true, complete: false, toMember, epochs: [this.epochs.entryOf(partition)] });
    }
    return true;
  }

  /**
   * Whether `object` is a copy of a tombstone a round removed here within `removedCopiesWindowMs`,
   * or older, read elsewhere before that replica's own removal (tombstones/collected.ts): taken as
   * stored, and dropped.
   */
  private wasCollected(target: StoreTarget, object: StoredObject): boolean {
    if (!this.collected.supersedes(this.nowMs, target.partition, target.bucket, target.key, object)) return false;
    this.count('tombstones.removedCopiesDropped');
    return true;
  }

  /**
   * The refusal of objects read at `stamp`. When a round fenced the partition since (not when
   * this node does not know the epochs, nor gave the partition up), it says at which epoch
   * (`detail.fencedEpoch`): a put's coordinator that learns it may send its copy again, read
   * after the fence (coordinator/put.ts).
   */
  private staleError(partition: number, stamp: number): ClientError {
    const fenced = this.epochs.known && !this.epochs.isAbandoned(partition);
    const why = this.epochs.known
      ? `objects read at epoch ${stamp} of partition ${partition}, before a tombstone collection fenced it (now ${this.epochs.of(partition)})`
      : 'objects, until it has learned the partition epochs from a member';
    const detail = fenced ? { partition, fencedEpoch: this.epochs.of(partition) } : undefined;
    return { kind: 'error', ...new KvorumError('unavailable', `node ${this.name} refuses ${why}`, detail).toJSON() };
  }

  private onDeliveryFailed(to: string, message: PeerMessage): void {
    this.count('deliveryFailures');
    this.detector.failed(to, this.nowMs);
    switch (message.kind) {
      case 'replicaRead':
      case 'replicaWrite':
      case 'forward':
        this.withOperation(message.opId, (operation) => operation.onDeliveryFailed(this.host, to, message));
        break;
      case 'replicaReadReply':
      case 'replicaWriteReply':
      case 'forwardReply':
      case 'hintDeliverReply':
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
      case 'hintDeliver':
        this.handoff.onDeliveryFailed(message.opId);
        break;
      case 'tombFence':
      case 'tombConfirm':
        this.tombstoneCollector.onDeliveryFailed(message.opId);
        break;
      case 'listRead': {
        const listing = this.listingReads.get(message.opId);
        this.listingReads.delete(message.opId);
        if (listing !== undefined) listing.onFailed(this.listings.get(listing)!, message.opId);
        break;
      }
      case 'ping':
      case 'pong':
      case 'epochsQuery':
      case 'epochsReply':
      case 'tombFenceReply':
      case 'tombConfirmReply':
      case 'tombRemove':
      case 'listReadReply':
        break; // the failure detector has noted it; a lost answer ends its round (or listing read) by timeout
      default:
        unreachable(message, 'peer message');
    }
  }

  // ---- Store outcomes ----

  private onStored(storeId: number, outcome: StoreOutcome): void {
    const pending = this.pendingStores.get(storeId);
    if (!pending) assertFailed(`store outcome for unknown store id ${storeId}`);
    this.pendingStores.delete(storeId);
    const { continuation, write } = pending;
    if (outcome.ok && outcome.truncated !== undefined) this.count('siblingsTruncated', outcome.truncated);
    if (write !== undefined) {
      if (outcome.ok) this.countSiblingChange(outcome.previous, outcome.object);
      this.antiEntropy.onLocalWrite(write.target, outcome);
      if (outcome.ok && outcome.object !== null && isDeleted(outcome.object)) this.tombstoneCollector.onTombstoneStored(write.target.partition);
      if (write.passOn && outcome.ok && outcome.object !== null) this.onLocalWrite(write.target, outcome.object, write.stamp);
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
          stamp: continuation.stamp,
          error: outcome.ok ? undefined : { kind: 'error', ...outcome.error.toJSON() },
        });
        return;
      case 'hintDeliver': {
        // The holder deletes its hint on this answer: the copy must be on disk first.
        const { from, opId } = continuation;
        if (!outcome.ok) return this.send(from, { kind: 'hintDeliverReply', opId, error: { kind: 'error', ...outcome.error.toJSON() } });
        this.flushThen((error) => {
          if (error === undefined) this.count('hints.received');
          this.send(from, { kind: 'hintDeliverReply', opId, error });
        });
        return;
      }
      case 'replicaWrite': {
        const { from, opId, durable } = continuation;
        if (!outcome.ok) return this.send(from, { kind: 'replicaWriteReply', opId, error: { kind: 'error', ...outcome.error.toJSON() } });
        if (durable) this.flushThen((error) => this.send(from, { kind: 'replicaWriteReply', opId, error }));
        else this.send(from, { kind: 'replicaWriteReply', opId });
        return;
      }
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
    for (const opId of this.lateChecks.popExpired(this.nowMs)) {
      this.withOperation(opId, (operation) => operation.onLate?.(this.host));
    }
    for (const opId of this.silenceChecks.popExpired(this.nowMs)) {
      this.withOperation(opId, (operation) => operation.onSilence?.(this.host));
    }
    if (this.listings.size > 0) for (const [listing, host] of [...this.listings]) listing.onTick(host);
    this.membership.onTick();
    this.antiEntropy.onTick();
    this.epochSync.onTick();
    this.tombstoneCollector.onTick();
    this.collected.purge(this.nowMs);
    // Removed members too: a round must know whether one is up to fence it (tombstones/round-view.ts).
    const removed = this.membership.view.members.filter((member) => member.status === 'removed').map((member) => member.name);
    const peers = new Set([...pingTargets(this.ring, this.name), ...this.handoff.owners, ...removed]);
    peers.delete(this.name);
    this.pinger.tick(this.nowMs, peers, (peer) => this.send(peer, { kind: 'ping', opId: this.nextOpId++ }));
    this.handoff.tick(this.handoffHost);
  }

  // ---- Hints (Dynamo §4.6) ----

  private onHintsDone(hintsId: number, outcome: HintOutcome): void {
    const done = this.hintsContinuations.get(hintsId);
    if (!done) assertFailed(`hint outcome for unknown hints id ${hintsId}`);
    this.hintsContinuations.delete(hintsId);
    done(outcome);
    for (const waiter of [...this.hintOpsWaiters]) {
      if (!waiter.waitingFor.delete(hintsId) || waiter.waitingFor.size > 0) continue;
      this.hintOpsWaiters.splice(this.hintOpsWaiters.indexOf(waiter), 1);
      waiter.done();
    }
  }

  /** Calls `done` once every hint op issued so far has finished. */
  private afterHintOps(done: () => void): void {
    if (this.hintsContinuations.size === 0) return done();
    this.hintOpsWaiters.push({ waitingFor: new Set(this.hintsContinuations.keys()), done });
  }

  private hints(op: HintOp, done: (outcome: HintOutcome) => void): void {
    const hintsId = this.nextHintsId++;
    this.hintsContinuations.set(hintsId, done);
    this.effects.push({ type: 'hints', hintsId, op });
  }

  /** Keeps a version for an unreachable owner; `done` learns whether it reached the disk. */
  private storeHint(hint: Hint, resolution: BucketProps['resolution'], done: (ok: boolean, error?: HintOutcome) => void): void {
    this.hints({ kind: 'store', hint, resolution }, (outcome) => {
      if (outcome.kind === 'stored') {
        this.count('hints.stored');
        if (outcome.truncated !== undefined) this.count('siblingsTruncated', outcome.truncated);
        this.handoff.onHintStored(hint, outcome.created);
      }
      done(outcome.kind === 'stored', outcome);
    });
  }

  /** A fallback's side of a sloppy write: keep the version as a hint (on disk if `durable`), then acknowledge it. */
  private keepHintFor(from: string, opId: number, hint: Hint, resolution: BucketProps['resolution'], durable: boolean): void {
    this.storeHint(hint, resolution, (ok, outcome) => {
      if (ok && durable) return this.flushThen((error) => this.send(from, { kind: 'replicaWriteReply', opId, error }));
      const error = !ok && outcome?.kind === 'failed' ? { kind: 'error' as const, ...outcome.error.toJSON() } : undefined;
      this.send(from, { kind: 'replicaWriteReply', opId, error });
    });
  }

  /** A replica's read for a get's coordinator, stamped with the partition's epoch now. */
  private serveRead(from: string, message: ReplicaRead): void {
    if (message.withHints) this.readWithHintsFor(from, message);
    else this.storeFor({ type: 'replicaRead', from, opId: message.opId, stamp: this.epochs.of(message.partition) }, message, { kind: 'read' });
  }

  /** A fallback's side of a sloppy read: what it owns of the key joined with its hints for it. */
  private readWithHintsFor(from: string, message: { opId: number; partition: number; bucket: string; key: string }): void {
    const { resolution } = this.bucketProps(message.bucket);
    const { partition, bucket, key } = message;
    const stamp = this.epochs.of(partition);
    this.hints({ kind: 'readKey', target: { partition, bucket, key }, resolution }, (outcome) => {
      const object = outcome.kind === 'read' ? outcome.object : null;
      const error = outcome.kind === 'failed' ? { kind: 'error' as const, ...outcome.error.toJSON() } : undefined;
      this.send(from, { kind: 'replicaReadReply', opId: message.opId, object, stamp, error });
    });
  }

  // ---- Membership plumbing ----

  private onLocalWrite(target: StoreTarget, object: StoredObject, stamp: number): void {
    this.membership.onLocalWrite(target.partition, target.bucket, target.key, object, stamp);
  }

  // ---- Tombstone collection ----

  /**
   * The epochs record on disk — and, as a flush covers every earlier write, whatever this node
   * read or wrote before it, which a fence relies on (tombstones/participant.ts). A failed flush
   * calls nothing: the round waits for an answer that never comes, and times out.
   */
  private persistEpochs(done: () => void): void {
    this.effects.push({ type: 'meta', name: tombstoneEpochsMetaName, value: encodeEpochsRecord(this.epochs.record()) });
    this.flush((ok) => {
      if (ok) done();
    });
  }

  private onTransferScanned(scanId: number, result: Omit<ScanResult, 'stamp'>): void {
    const done = this.scanContinuations.get(scanId);
    if (!done) assertFailed(`scan result for unknown scan id ${scanId}`);
    this.scanContinuations.delete(scanId);
    done(result);
  }

  // ---- Durability (Dynamo §6.1's object buffer) ----

  /**
   * Before dropping `object`: moves this node's writer past every generation of its own with a dot
   * in it, recording the new one with a meta write issued before the drop — so the drop is on disk
   * only if the record is (replica/actor-generation.ts). Puts wait until a flush has it on disk.
   */
  private beforeDrop(object: StoredObject): void {
    const before = this.writer.generation;
    const generation = this.writer.generationForDrop(object);
    if (generation !== before) this.effects.push({ type: 'meta', name: actorGenerationMetaName, value: encodeActorGeneration(generation) });
  }

  /** Calls `done` once every write issued so far is on disk (`ok`), or the disk failed. */
  private flush(done: (ok: boolean) => void): void {
    const flushId = this.nextFlushId++;
    this.flushContinuations.set(flushId, done);
    this.effects.push({ type: 'flush', flushId });
  }

  /** As `flush`, for an acknowledgement: `error` is what to answer when the disk failed. */
  private flushThen(answer: (error: ClientError | undefined) => void): void {
    this.flush((ok) => answer(ok ? undefined : { kind: 'error', ...new KvorumError('unavailable', `node ${this.name} could not put the write on its disk`).toJSON() }));
  }

  private onFlushed(flushId: number, ok: boolean): void {
    const done = this.flushContinuations.get(flushId);
    if (!done) assertFailed(`flushed for unknown flush id ${flushId}`);
    this.flushContinuations.delete(flushId);
    if (!ok) this.count('flushFailures');
    done(ok);
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
    // Writes a transfer brought are not passed on again (membership.onLocalWrite).
    const write = op.kind === 'read' ? undefined : { target, passOn: continuation.type !== 'callback', stamp: this.epochs.of(target.partition) };
    this.pendingStores.set(storeId, { continuation, write });
    const { partition, bucket, key } = target;
    this.effects.push({ type: 'store', storeId, partition, bucket, key, op });
  }

  private send(to: string, message: PeerMessage): void {
    if (to === this.name) assertFailed(`node ${to} sends to itself`);
    this.effects.push({ type: 'send', to, message });
  }

  private answer(requester: Requester, result: ClientResult): void {
    if (requester.type === 'client') this.antiEntropy.onRequestAnswered(requester.requestId);
    if (requester.type === 'client') this.effects.push({ type: 'reply', requestId: requester.requestId, result });
    else this.send(requester.node, { kind: 'forwardReply', opId: requester.opId, result });
  }

  /**
   * Siblings a write made or resolved on this node's copy of a key: live siblings beyond one that
   * appeared (concurrent writes met), or that went (a write whose context covered them). Each
   * replica counts its own copy, so a cluster-wide sum counts an event up to N times.
   */
  private countSiblingChange(before: StoredObject | null, after: StoredObject | null): void {
    const was = liveSiblingsCount(before);
    const is = liveSiblingsCount(after);
    if (is > Math.max(was, 1)) this.count('siblingsCreated', is - Math.max(was, 1));
    else if (was > Math.max(is, 1)) this.count('siblingsResolved', was - Math.max(is, 1));
  }

  private count(metric: CoreCounter, by = 1): void {
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
      scan: (partition, after, done) => node.scan(partition, after, transferEntriesMax, done),
      store: (target, op, done) => node.storeFor({ type: 'callback', done }, target, op),
      flush: (done) => node.flush(done),
      resolutionOf: (bucket) => node.bucketProps(bucket).resolution,
      // Read on every local write (membership.ts `onLocalWrite`): the cached list, not a copy.
      replicasOf: (partition, bucket) => sharedPreferenceList(node.ring, partition, node.bucketProps(bucket).n),
      count: (metric, by) => node.count(metric, by),
      isReachable: (peer) => node.isReachable(peer),
      beforeDrop: (object) => node.beforeDrop(object),
      epochOf: (partition) => node.epochs.of(partition),
      abandoned: (partition) => node.epochs.isAbandoned(partition),
    };
  }

  /** One chunk of a partition, stamped with its epoch as the scan is issued (tombstones/epochs.ts). */
  private scan(
    partition: number,
    after: { bucket: string; key: string } | null,
    entriesMax: number,
    done: (result: ScanResult) => void,
    bytesMax = transferChunkBytesMax,
  ): void {
    const scanId = this.nextScanId++;
    const stamp = this.epochs.of(partition);
    this.scanContinuations.set(scanId, (result) => done({ ...result, stamp }));
    this.effects.push({ type: 'transferScan', scanId, partition, after, entriesMax, bytesMax });
  }

  private makeTombstoneHost(): TombstoneHost {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const node = this;
    return {
      get self() {
        return node.name;
      },
      get nowMs() {
        return node.nowMs;
      },
      get incarnation() {
        return node.config.actor;
      },
      get view() {
        return node.membership.view;
      },
      get ring() {
        return node.ring;
      },
      get epochs() {
        return node.epochs;
      },
      nextOpId: () => node.nextOpId++,
      send: (to, message) => node.send(to, message),
      isReachable: (peer) => node.isReachable(peer),
      read: (target, done) => node.storeFor({ type: 'callback', done: (outcome) => done(outcome.ok ? outcome.object : 'failed') }, target, { kind: 'read' }),
      holdsHint: (target, done) => node.hints({ kind: 'holds', target }, (outcome) => done(outcome.kind === 'holds' ? outcome.held : 'failed')),
      afterHintOps: (done) => node.afterHintOps(done),
      persistEpochs: (done) => node.persistEpochs(done),
      drop: (target, object) => {
        node.collected.record(node.nowMs, target.partition, target.bucket, target.key, object);
        node.beforeDrop(object);
        node.storeFor({ type: 'none' }, target, { kind: 'dropIfUnchanged', object, reason: 'tombstone' });
      },
      scan: (partition, after, entriesMax, done) => node.scan(partition, after, entriesMax, done),
      replicasOf: (partition, bucket) => preferenceList(node.ring, partition, node.bucketProps(bucket).n),
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
      // Exchanges skip peers this node's failure detector (Dynamo §4.8) sees as down.
      isReachable: (peer) => node.isReachable(peer),
      send: (to, message) => node.send(to, message),
      scan: (partition, after, entriesMax, bytesMax, done) => node.scan(partition, after, entriesMax, done, bytesMax),
      read: (target, done) => node.storeFor({ type: 'callback', done }, target, { kind: 'read' }),
      merge: (target, object) => node.storeFor({ type: 'none' }, target, { kind: 'merge', object, resolution: node.bucketProps(target.bucket).resolution }),
      replicasOf: (bucket) => node.bucketProps(bucket).n,
      count: (metric, by) => node.count(metric, by),
      epochOf: (partition) => node.epochs.of(partition),
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
      get writer() {
        return { actor: node.writer.actor };
      },
      storeHint: (hint, resolution) => node.storeHint(hint, resolution, () => {}),
      flush: (operation, done) =>
        node.flush((ok) => {
          if (operation.done) return;
          done(ok);
          node.forgetIfDone(operation);
        }),
      readWithHints: (operation, target, resolution) =>
        node.hints({ kind: 'readKey', target, resolution }, (outcome) => {
          if (operation.done) return;
          if (outcome.kind === 'read') operation.onStored(node.host, { ok: true, object: outcome.object, previous: outcome.object });
          else if (outcome.kind === 'failed') operation.onStored(node.host, { ok: false, error: outcome.error });
          node.forgetIfDone(operation);
        }),
      isReachable: (peer) => node.isReachable(peer),
      epochOf: (partition) => node.epochs.of(partition),
      refuses: (from, partition, stamp) => node.refusesObjects(from, partition, stamp),
      wasCollected: (target, object) => node.wasCollected(target, object),
      afterEpoch: (operation, partition, epoch, done) => {
        node.epochWaiters.push({ operation, partition, epoch, done });
      },
    };
  }

  private makeHandoffHost(): HandoffHost {
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
      isReachable: (peer) => node.isReachable(peer),
      isMember: (peer) => node.ring.nodes.has(peer),
      primariesOf: (hint) => preferenceList(node.ring, hint.partition, node.bucketProps(hint.bucket).n),
      deliver: (to, opId, hint, stamp) => {
        const { partition, bucket, key, object } = hint;
        node.send(to, { kind: 'hintDeliver', opId, partition, bucket, key, object, stamp });
      },
      // A hint read now has outlived every round of its partition since it was stored (a round
      // removes nothing while any member keeps a hint of its key), so it goes out as read now.
      epochsNow: () => node.epochs.snapshot(),
      hints: (op, done) => node.hints(op, done),
      count: (metric, by) => node.count(metric, by),
      abandoned: (partition) => node.epochs.isAbandoned(partition),
    };
  }
}

/** Finished transfers a status report lists (the latest; the sender keeps more). */
const statusFinishedTransfersMax = 16;

function liveSiblingsCount(object: StoredObject | null): number {
  let live = 0;
  if (object !== null) for (const sibling of object.siblings) if (!sibling.deleted) live++;
  return live;
}

function bucketSettingsOf(view: ClusterView): ReadonlyMap<string, BucketProps> {
  return new Map(bucketEntriesOf(view).map((entry) => [entry.bucket, entry.props]));
}

/** A node given only a ring: its members, no seeds, N from the default bucket. */
function staticMembership(config: NodeConfig): MembershipConfig {
  const self = config.ring.nodes.get(config.name);
  if (!self) assertFailed(`node ${config.name} is not a member of its ring`);
  return { self, seeds: new Map(), replicasN: config.bucketProps('').n, gossipSeed: config.firstOpId, initialView: viewOfRing(config.ring), initialViewCurrent: true };
}
