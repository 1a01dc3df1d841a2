/**
 * The simulated world: a whole cluster of real KvNodes (src/core/node.ts) in one process, on
 * virtual time, a simulated network and simulated disks (DESIGN §3). The world feeds each node
 * its inputs — client requests, peer messages, delivery failures, store outcomes and a tick
 * every 10 ms — and carries out the effects it returns, exactly as the real runtime does
 * (src/runtime/node-runtime.ts), but with every delay and every fault drawn from one seed.
 *
 * Faults are methods (crash, wipe, restart; the network's partition, clog, drop rates); the
 * fault schedule (faults.ts) decides when to call them. Observers see what a checker needs and a
 * node never tells: every disk write and every acknowledgement, when it happens.
 */
import { createHash, type Hash } from 'node:crypto';
import { unreachable, assertFailed } from '../core/assert.ts';
import type { Effect, NodeInput } from '../core/effects.ts';
import type { BucketProps } from '../core/limits.ts';
import type { ClientResult, NodeRequest, PeerMessage } from '../core/messages.ts';
import type { AntiEntropy } from '../core/antientropy/anti-entropy.ts';
import type { AntiEntropySettings } from '../core/antientropy/settings.ts';
import { KvNode } from '../core/node.ts';
import { partitionOf } from '../core/ring/hash.ts';
import { extendedPreferenceList, preferenceList } from '../core/ring/ring.ts';
import { peerMessageProblem } from '../core/peer-message-check.ts';
import type { StoreOp } from '../core/replica/store-op.ts';
import type { Ring, RingNode } from '../core/ring/types.ts';
import type { CausalContext } from '../core/version/types.ts';
import { defaultRequestLimits } from '../core/validate.ts';
import { roundViewId } from '../core/tombstones/round-view.ts';
import { isReadRepair, misplaceReplicaWrites, outcomeHidingMerge, storeOpApplier, unfenced, withoutLastSegments, type SimBugs, type StepCause } from './bugs.ts';
import { SimDisk, type CrashLoss, type DiskConfig, type DiskWrite, type HintChange, type StoreEffect } from './disk.ts';
import { EventQueue, microsPerMs } from './event-queue.ts';
import { SimNetwork, type NetworkConfig } from './network.ts';
import type { Prng } from './prng.ts';
import { simRing, simRingNode } from './ring-cache.ts';
import { seedOnlyView, viewOfRing } from '../core/membership/initial-view.ts';
import type { Membership } from '../core/membership/membership.ts';
import type { ClusterView } from '../core/membership/view.ts';
import { actorGenerationMetaName, decodeActorGeneration, encodeActorGeneration, generationAtStart } from '../core/replica/actor-generation.ts';
import { decodeEpochsRecord, tombstoneEpochsMetaName } from '../core/tombstones/epochs.ts';
import type { TombstoneSettings } from '../core/tombstones/settings.ts';
import { decodeMembership, membershipMetaName } from '../core/membership/persisted.ts';

/** Nodes check their deadlines this often, as the real runtime's timer does. */
export const tickIntervalMs = 10;

export interface WorldConfig {
  readonly nodeNames: readonly string[];
  readonly partitionCount: number;
  /** Properties of every bucket not named in `buckets`. */
  readonly bucketProps: BucketProps;
  /** Buckets with properties of their own (another N, R, W…): the ring is claimed for the largest N. */
  readonly buckets?: ReadonlyMap<string, BucketProps> | undefined;
  readonly requestTimeoutMs: number;
  readonly network: NetworkConfig;
  readonly disk: DiskConfig;
  /** One way, between a client and the node it talks to (clients are never partitioned). */
  readonly clientLatencyUsMin: number;
  readonly clientLatencyUsMax: number;
  readonly bugs: SimBugs;
  /** Failure domains: node i (from 0, spares after the members) is in zone z(i mod zonesCount + 1); none when 0 or absent. */
  readonly zonesCount?: number | undefined;
  /** Nodes outside the initial ring, started with only seeds: they can be asked to join. */
  readonly spareNodeNames?: readonly string[] | undefined;
  /** Anti-entropy settings of every node (the simulator shortens the exchange interval). */
  readonly antiEntropy?: Partial<AntiEntropySettings> | undefined;
  /** Tombstone collection settings (core/tombstones/settings.ts); defaults where not given. */
  readonly tombstones?: Partial<TombstoneSettings> | undefined;
  /** Read repair (NodeConfig.readRepair); on unless false. */
  readonly readRepair?: boolean | undefined;
  /** Sloppy quorum and hinted handoff (NodeConfig.hintedHandoff); on unless false. */
  readonly hintedHandoff?: boolean | undefined;
}

export interface WorldObserver {
  onDiskWrite(write: DiskWrite): void;
  /** A crash took from a node's key what its buffer held and no flush had committed. */
  onCrashLoss(loss: CrashLoss): void;
  /** A fallback kept or forgot a hint (Dynamo §4.6). */
  onHintChange(change: HintChange): void;
  /** A coordinator answered a put as stored (to its client or to the node that forwarded it). */
  onStoredAnswer(node: string, context: CausalContext): void;
  onWipe(node: string): void;
  /** A node's process started (after the world was made: `attach` sees the first boots). */
  onBoot?(node: string): void;
  onCrash?(node: string): void;
  /** A node took one input and returned these effects. */
  onStep?(node: string, kv: KvNode, input: NodeInput, effects: readonly Effect[]): void;
}

/** What a client learns of a request: the node's answer, a refused connection, or a reset one. */
export type ClientOutcome =
  | { readonly type: 'result'; readonly result: ClientResult }
  /** The node was down: the request never reached it. */
  | { readonly type: 'refused' }
  /** The node crashed while coordinating: the request may or may not have taken effect. */
  | { readonly type: 'reset' };

type ClientCallback = (outcome: ClientOutcome) => void;

class SimNode {
  /** Boot count; a message or callback meant for an earlier life is dropped. */
  life = 0;
  kv: KvNode | null = null;
  /** Inputs waiting for the node while it steps (outcomes of ops its disk ran at once), as the runtime queues them. */
  readonly inputs: { readonly input: NodeInput; readonly storeKind?: StoreOp['kind'] | undefined }[] = [];
  stepping = false;
  readonly clientRequests = new Map<number, ClientCallback>();
  nextRequestId = 1;
  /** Op ids of the gets this process coordinated (they sent `replicaRead`): bug (c) tells read repair's writes by them. */
  readonly getOpIds = new Set<number>();
  /** Bug (n): by put op id, the nodes this process sent the version to, and those that acknowledged it. */
  readonly writesSent = new Map<number, Set<string>>();
  readonly writesAcked = new Map<number, Set<string>>();
  /** Bug (o): by `opId node`, the primary a misdirected replica read was meant for; the get's own reads, emptied. */
  readonly misreadFor = new Map<string, string>();
  readonly emptiedReads = new Set<number>();

  constructor(
    readonly name: string,
    readonly disk: SimDisk,
  ) {}
}

export class SimWorld {
  readonly queue = new EventQueue();
  /** The ring every node starts from (the config's). */
  readonly initialRing: Ring;
  /** The largest N of any bucket: replicas per partition (anti-entropy, strays, claim). */
  readonly replicasN: number;
  readonly network: SimNetwork;
  private readonly nodes = new Map<string, SimNode>();
  private readonly trace: Hash = createHash('sha256');
  private tickingUntilUs = -1;
  private readonly partitions = new Map<string, number>();
  /** Draws each boot's first op id (NodeConfig.firstOpId), as the real runtime does at random. */
  private readonly opIdPrng: Prng;
  stepsCount = 0;

  constructor(
    readonly config: WorldConfig,
    private readonly prng: Prng,
    private readonly observer: WorldObserver,
  ) {
    this.replicasN = Math.max(config.bucketProps.n, ...[...(config.buckets?.values() ?? [])].map((props) => props.n));
    this.initialRing = simRing(config.nodeNames, config.partitionCount, this.replicasN, config.zonesCount);
    this.network = new SimNetwork(config.network, this.queue, prng.fork('network'), {
      nodeLife: (name) => this.nodeLife(name),
      deliver: (to, from, message) => this.deliver(to, from, message),
      reportFailure: (from, fromLife, to, message) => this.reportFailure(from, fromLife, to, message),
    });
    this.opIdPrng = prng.fork('opIds');
    const diskPrng = prng.fork('disks');
    const apply = storeOpApplier(config.bugs);
    for (const name of this.allNames()) {
      const disk = new SimDisk(name, diskPrng.hex(8), this.queue, diskPrng, config.disk, apply, {
        onWrite: (write) => observer.onDiskWrite(write),
        onCrashLoss: (loss) => observer.onCrashLoss(loss),
        onHintChange: (change) => observer.onHintChange(change),
      });
      this.nodes.set(name, new SimNode(name, disk));
    }
    for (const name of this.allNames()) this.boot(this.node(name));
  }

  private allNames(): string[] {
    return [...this.config.nodeNames, ...(this.config.spareNodeNames ?? [])];
  }

  /**
   * The ring the cluster serves: the newest any node holds (after the liveness phase every node
   * holds the same). Checkers read replicas from it.
   */
  get ring(): Ring {
    let newest = this.initialRing;
    for (const node of this.nodes.values()) {
      const ring = node.kv?.currentRing;
      if (ring !== undefined && ring.version > newest.version) newest = ring;
    }
    return newest;
  }

  /** A bucket's properties, as every node reads them. */
  bucketProps(bucket: string): BucketProps {
    return this.config.buckets?.get(bucket) ?? this.config.bucketProps;
  }

  /** The replicas of bucket/key in the ring the cluster serves now: its preference list for the bucket's N. */
  replicasOf(bucket: string, key: string): string[] {
    return preferenceList(this.ring, this.partitionOf(bucket, key), this.bucketProps(bucket).n);
  }

  /** The key's partition (Q never changes in a run; the MD5 is computed once per key). */
  partitionOf(bucket: string, key: string): number {
    const id = `${bucket}\u0000${key}`;
    let partition = this.partitions.get(id);
    if (partition === undefined) this.partitions.set(id, (partition = partitionOf(bucket, key, this.initialRing.partitionCount)));
    return partition;
  }

  get nowMs(): number {
    return this.queue.nowMs;
  }

  /** Every node, spares included. */
  get nodeNames(): readonly string[] {
    return [...this.nodes.keys()];
  }

  /** A node's ring entry (how a spare introduces itself when it joins). */
  ringNodeOf(name: string): RingNode {
    return this.initialRing.nodes.get(name) ?? simRingNode(name, this.allNames().indexOf(name), this.config.zonesCount);
  }

  /**
   * What a node looks like from outside now, for the availability checker: running, and able to
   * take objects (it knows the partition epochs; a new disk learns them first). And whether every
   * running node holds the same view, with no transition running.
   */
  clusterState(): { settled: boolean; states: Map<string, { up: boolean; takesWrites: boolean; serves: boolean }> } {
    const states = new Map([...this.nodes].map(([name, node]) => [name, { up: node.kv !== null, takesWrites: node.kv?.epochs.known === true, serves: node.kv?.notReadyBecause() === null }]));
    const views = [...this.nodes.values()].flatMap((node) => (node.kv === null ? [] : [node.kv.membership.view]));
    // The same view, not only the same version: an abort and the finalization it races are two
    // views of one version (membership/plan.ts), held apart until gossip settles which stands.
    const id = views.length === 0 ? '' : roundViewId(views[0]!);
    const settled = views.every((view) => view.next === null && roundViewId(view) === id);
    return { settled, states };
  }

  /** The node's current view of the cluster, or null while it is down. */
  viewOf(name: string): ClusterView | null {
    return this.node(name).kv?.membership.view ?? null;
  }

  /**
   * An operator command on a running node (stage, plan, commit…), as the HTTP API runs one.
   * Throws what the command throws (KvorumError for a refused change).
   */
  command<T>(name: string, run: (membership: Membership) => T): T {
    const node = this.node(name);
    if (node.kv === null) assertFailed(`command on ${name} while it is down`);
    this.traceLine(`command ${name}`);
    const cause: StepCause = { input: { type: 'tick' } };
    const { result, effects } = node.kv.command(this.queue.nowMs, run);
    for (const effect of this.withBugs(node, effects, cause)) this.perform(node, effect);
    return result;
  }

  /** Hex digest of everything every node was fed, in order: equal digests, identical runs. */
  traceDigest(): string {
    return this.trace.copy().digest('hex');
  }

  isUp(name: string): boolean {
    return this.node(name).kv !== null;
  }

  /** A running node's anti-entropy (its hash trees), or null while it is down. */
  antiEntropyOf(name: string): AntiEntropy | null {
    return this.node(name).kv?.antiEntropy ?? null;
  }

  actorOf(name: string): string {
    return `${name}.${this.node(name).disk.incarnation}`;
  }

  disk(name: string): SimDisk {
    return this.node(name).disk;
  }

  /** Runs the world to `timeMs`, ticking every node every 10 ms on the way. */
  runUntil(timeMs: number): void {
    const untilUs = timeMs * microsPerMs;
    this.scheduleTicks(untilUs);
    this.queue.runUntil(untilUs);
  }

  /** A client sends `request` to node `to`; `done` gets exactly one outcome. */
  request(to: string, request: NodeRequest, done: ClientCallback): void {
    this.queue.after(this.clientLatencyUs(), () => {
      const node = this.node(to);
      if (node.kv === null) {
        this.queue.after(this.clientLatencyUs(), () => done({ type: 'refused' }));
        return;
      }
      const requestId = node.nextRequestId++;
      node.clientRequests.set(requestId, done);
      this.step(node, { type: 'request', requestId, request });
    });
  }

  // ---- Faults ----

  /** The node's process dies; its disk keeps what reached it. */
  crash(name: string): void {
    const node = this.node(name);
    if (node.kv === null) return;
    this.traceLine(`crash ${name}`);
    node.kv = null;
    node.disk.crash();
    this.observer.onCrash?.(name);
    for (const done of node.clientRequests.values()) this.queue.after(this.clientLatencyUs(), () => done({ type: 'reset' }));
    node.clientRequests.clear();
  }

  /** The node's disk is lost (the node must be down); it comes back as a new writer. */
  wipe(name: string): void {
    const node = this.node(name);
    if (node.kv !== null) assertFailed(`wipe ${name} while it runs`);
    this.traceLine(`wipe ${name}`);
    const incarnation = this.config.bugs.reuseIncarnation ? node.disk.incarnation : this.prng.hex(8);
    node.disk.wipe(incarnation);
    this.observer.onWipe(name);
  }

  restart(name: string): void {
    const node = this.node(name);
    if (node.kv !== null) return;
    this.traceLine(`restart ${name}`);
    this.boot(node);
    this.observer.onBoot?.(name);
  }

  // ---- Driving nodes ----

  private boot(node: SimNode): void {
    node.life++;
    node.getOpIds.clear();
    node.writesSent.clear();
    node.writesAcked.clear();
    node.misreadFor.clear();
    node.emptiedReads.clear();
    const stored = node.disk.meta.get(membershipMetaName);
    const persisted = stored === undefined ? undefined : decodeMembership(stored);
    const member = this.initialRing.nodes.get(node.name);
    const self = member ?? simRingNode(node.name, this.allNames().indexOf(node.name), this.config.zonesCount);
    const initialView = persisted?.view ?? (member ? viewOfRing(this.initialRing) : seedOnlyView(self, this.initialRing.partitionCount));
    // Spares know every initial member as a seed; members gossip among themselves.
    const seeds = new Map(member ? [] : [...this.initialRing.nodes.values()].map((seed) => [seed.name, seed.address] as const));
    // Every stop here is a crash: a node comes back as a new writer unless its disk is new (as
    // the runtime does, on disk before it serves).
    const recorded = decodeActorGeneration(node.disk.meta.get(actorGenerationMetaName));
    const actorGeneration = generationAtStart(recorded, false, node.disk.fresh);
    if (actorGeneration !== recorded) node.disk.writeMetaDurably(actorGenerationMetaName, encodeActorGeneration(actorGeneration));
    node.disk.fresh = false;
    node.kv = new KvNode({
      name: node.name,
      actor: `${node.name}.${node.disk.incarnation}`,
      actorGeneration,
      tombstoneEpochs: decodeEpochsRecord(node.disk.meta.get(tombstoneEpochsMetaName)),
      tombstones: this.config.tombstones,
      ring: this.initialRing,
      bucketProps: (bucket) => this.bucketProps(bucket),
      requestTimeoutMs: this.config.requestTimeoutMs,
      requestLimits: defaultRequestLimits,
      firstOpId: 1 + this.opIdPrng.int(0, 2 ** 31),
      antiEntropy: this.config.antiEntropy,
      readRepair: this.config.readRepair,
      hintedHandoff: this.config.hintedHandoff,
      membership: {
        self,
        seeds,
        replicasN: this.replicasN,
        replicasNMin: Math.min(this.config.bucketProps.n, ...[...(this.config.buckets?.values() ?? [])].map((props) => props.n)),
        gossipSeed: this.opIdPrng.int(0, 2 ** 31),
        initialView,
        initialStaged: persisted?.staged,
      },
    });
  }

  private nodeLife(name: string): number | null {
    const node = this.node(name);
    return node.kv === null ? null : node.life;
  }

  private deliver(to: string, from: string, message: PeerMessage): void {
    // Every message the core sends must pass the check the real runtime makes on arrival.
    const problem = peerMessageProblem(message, { partitionCount: this.initialRing.partitionCount, keyBytesMax: defaultRequestLimits.keyBytesMax });
    if (problem !== null) assertFailed(`${from} sent ${to} a message the runtime would drop: ${problem}`);
    this.step(this.node(to), { type: 'message', from, message });
  }

  private reportFailure(from: string, fromLife: number, to: string, message: PeerMessage): void {
    const node = this.node(from);
    if (node.kv !== null && node.life === fromLife) this.step(node, { type: 'deliveryFailed', to, message });
  }

  /**
   * Feeds the node `input`, then every input its effects queued (the outcomes of ops its disk ran
   * at once), in order, before anything else happens — as the runtime's input queue does.
   */
  private step(node: SimNode, input: NodeInput, storeKind?: StoreOp['kind']): void {
    if (node.kv === null) assertFailed(`step of ${node.name} while it is down`);
    node.inputs.push({ input, storeKind });
    if (node.stepping) return;
    node.stepping = true;
    try {
      for (let next = node.inputs.shift(); next !== undefined && node.kv !== null; next = node.inputs.shift()) this.stepOnce(node, node.kv, next.input, next.storeKind);
    } finally {
      node.stepping = false;
      node.inputs.length = 0;
    }
  }

  private stepOnce(node: SimNode, kv: KvNode, input: NodeInput, storeKind: StoreOp['kind'] | undefined): void {
    this.stepsCount++;
    this.traceInput(node.name, input);
    const cause: StepCause = { input, storeKind };
    const effects = this.withBugs(node, kv.step(this.queue.nowMs, this.inputWithBugs(node, input)), cause);
    this.observer.onStep?.(node.name, kv, input, effects);
    for (const effect of effects) this.perform(node, effect);
  }

  /**
   * The effects as a node with the run's deliberate bugs would have returned them (bugs.ts): the
   * observer sees these, as it would see a core that had the bug.
   */
  private withBugs(node: SimNode, effects: Effect[], cause: StepCause): Effect[] {
    const { bugs } = this.config;
    if (bugs.skipReadRepair) for (const effect of effects) if (effect.type === 'send' && effect.message.kind === 'replicaRead') node.getOpIds.add(effect.message.opId);
    let changed = effects;
    if (bugs.noEpochFence || bugs.skipReadRepair || bugs.aaeSkipsLastSegment || bugs.forgetUndeliveredHints) {
      changed = changed.flatMap((effect): Effect[] => {
        if (effect.type === 'send') {
          let message = bugs.noEpochFence ? unfenced(effect.message) : effect.message;
          if (bugs.aaeSkipsLastSegment) message = withoutLastSegments(message);
          if (bugs.skipReadRepair && isReadRepair(cause, { type: 'send', message }, node.getOpIds)) return [];
          if (bugs.forgetUndeliveredHints && message.kind === 'hintDeliver') {
            this.answerLater(node, effect.to, { kind: 'hintDeliverReply', opId: message.opId });
            return [];
          }
          return [{ ...effect, message }];
        }
        if (effect.type === 'store' && bugs.skipReadRepair && isReadRepair(cause, effect, node.getOpIds)) return [];
        return [effect];
      });
    }
    if ((bugs.hintForReachablePrimary || bugs.repeatedReplica) && node.kv !== null && cause.input.type === 'stored' && cause.storeKind === 'coordinate') {
      changed = misplaceReplicaWrites(changed, node.name, node.kv.currentRing, (bucket) => this.bucketProps(bucket).n, bugs.repeatedReplica ? 'repeat' : 'hint');
    }
    if (bugs.readsWrongReplicas && node.kv !== null && cause.input.type === 'request' && cause.input.request.kind === 'get') {
      changed = this.misdirectReads(node, node.kv.currentRing, changed);
    }
    if (bugs.countDuplicateAck) {
      for (const effect of changed) {
        if (effect.type !== 'send' || effect.message.kind !== 'replicaWrite') continue;
        const sent = node.writesSent.get(effect.message.opId) ?? new Set<string>();
        node.writesSent.set(effect.message.opId, sent.add(effect.to));
      }
    }
    return changed;
  }

  /** Bug (o): a get's replica reads sent past the primaries, and its own read to be answered empty. */
  private misdirectReads(node: SimNode, ring: Ring, effects: Effect[]): Effect[] {
    const used = new Set<string>([node.name]);
    return effects.map((effect) => {
      if (effect.type === 'store' && effect.op.kind === 'read') node.emptiedReads.add(effect.storeId);
      if (effect.type !== 'send' || effect.message.kind !== 'replicaRead') return effect;
      const { message } = effect;
      const past = extendedPreferenceList(ring, message.partition).slice(this.bucketProps(message.bucket).n).find((other) => !used.has(other));
      if (past === undefined) return effect;
      used.add(past);
      node.misreadFor.set(`${message.opId} ${past}`, effect.to);
      return { ...effect, to: past, message: { ...message, withHints: true } };
    });
  }

  /**
   * The input as a node with bug (n) takes it: a successful replicaWriteReply from a node that
   * already acknowledged the put (a duplicate) is counted for a target that has not. With bug
   * (o), a misdirected read's reply is taken as the primary's, and the get's own read as empty.
   */
  private inputWithBugs(node: SimNode, input: NodeInput): NodeInput {
    if (this.config.bugs.readsWrongReplicas) {
      if (input.type === 'stored' && node.emptiedReads.delete(input.storeId) && input.outcome.ok) return { ...input, outcome: { ok: true, object: null, previous: null } };
      if (input.type === 'message' && input.message.kind === 'replicaReadReply') {
        const primary = node.misreadFor.get(`${input.message.opId} ${input.from}`);
        if (primary !== undefined) return { ...input, from: primary };
      }
    }
    if (!this.config.bugs.countDuplicateAck || input.type !== 'message' || input.message.kind !== 'replicaWriteReply' || input.message.error != null) return input;
    const { opId } = input.message;
    const acked = node.writesAcked.get(opId) ?? new Set<string>();
    node.writesAcked.set(opId, acked);
    if (!acked.has(input.from)) {
      acked.add(input.from);
      return input;
    }
    const silent = [...(node.writesSent.get(opId) ?? [])].find((target) => !acked.has(target));
    if (silent === undefined) return input;
    acked.add(silent);
    return { ...input, from: silent };
  }

  /** A message to `node` as if from `from`, right after this step, unless the node restarted meanwhile. */
  private answerLater(node: SimNode, from: string, message: PeerMessage): void {
    const life = node.life;
    this.queue.after(0, () => {
      if (node.kv !== null && node.life === life) this.step(node, { type: 'message', from, message });
    });
  }

  private perform(node: SimNode, effect: Effect): void {
    switch (effect.type) {
      case 'send':
        this.performSend(node, effect.to, effect.message);
        return;
      case 'reply':
        this.performReply(node, effect.requestId, effect.result);
        return;
      case 'store':
        this.performStore(node, effect);
        return;
      case 'meta':
        node.disk.writeMeta(effect.name, effect.value);
        return;
      case 'flush': {
        const life = node.life;
        if (this.config.bugs.lyingFlush) {
          this.queue.after(0, () => node.kv !== null && node.life === life && this.step(node, { type: 'flushed', flushId: effect.flushId, ok: true }));
          return;
        }
        node.disk.flush((ok) => {
          if (node.kv !== null && node.life === life) this.step(node, { type: 'flushed', flushId: effect.flushId, ok });
        });
        return;
      }
      case 'hints': {
        const life = node.life;
        node.disk.runHints(effect.op, (outcome) => {
          if (node.kv !== null && node.life === life) this.step(node, { type: 'hintsDone', hintsId: effect.hintsId, outcome });
        });
        return;
      }
      case 'transferScan': {
        const life = node.life;
        node.disk.scanPartition(effect, (result) => {
          if (node.kv !== null && node.life === life) this.step(node, { type: 'transferScanned', scanId: effect.scanId, ...result });
        });
        return;
      }
      case 'listScan': {
        const life = node.life;
        node.disk.scanForListing(effect, (result) => {
          if (node.kv !== null && node.life === life) this.step(node, { type: 'listScanned', scanId: effect.scanId, ok: true, ...result });
        });
        return;
      }
      default:
        unreachable(effect, 'effect');
    }
  }

  private performSend(node: SimNode, to: string, message: PeerMessage): void {
    const { bugs } = this.config;
    if (message.kind === 'forwardReply' && message.result.kind === 'stored') this.observer.onStoredAnswer(node.name, message.result.context);
    // As the real transport does: a node not in the sender's peers (membership.addresses) cannot
    // be dialled, and the message fails at once.
    if (!node.kv!.membership.addresses().has(to)) {
      const life = node.life;
      this.queue.after(0, () => this.reportFailure(node.name, life, to, message));
      return;
    }
    this.network.send(node.name, node.life, to, message);
    if (bugs.ackBeforeStore && message.kind === 'replicaWrite') this.answerLater(node, to, { kind: 'replicaWriteReply', opId: message.opId });
  }

  private performReply(node: SimNode, requestId: number, result: ClientResult): void {
    const done = node.clientRequests.get(requestId);
    if (done === undefined) return;
    node.clientRequests.delete(requestId);
    if (result.kind === 'stored') this.observer.onStoredAnswer(node.name, result.context);
    this.queue.after(this.clientLatencyUs(), () => done({ type: 'result', result }));
  }

  private performStore(node: SimNode, effect: StoreEffect): void {
    const outcome = node.disk.submit(effect);
    const seen = this.config.bugs.skipTreeUpdateOnMerge ? outcomeHidingMerge(effect.op, outcome) : outcome;
    this.step(node, { type: 'stored', storeId: effect.storeId, outcome: seen }, effect.op.kind);
  }

  /** One tick event per 10 ms for the whole cluster; each running node is ticked in name order. */
  private scheduleTicks(untilUs: number): void {
    const intervalUs = tickIntervalMs * microsPerMs;
    let nextUs = this.tickingUntilUs < 0 ? intervalUs : this.tickingUntilUs + intervalUs;
    for (; nextUs <= untilUs; nextUs += intervalUs) {
      this.queue.at(nextUs, () => {
        for (const node of this.nodes.values()) if (node.kv !== null) this.step(node, { type: 'tick' });
      });
      this.tickingUntilUs = nextUs;
    }
  }

  private clientLatencyUs(): number {
    return this.prng.int(this.config.clientLatencyUsMin, this.config.clientLatencyUsMax + 1);
  }

  private node(name: string): SimNode {
    const node = this.nodes.get(name);
    if (!node) assertFailed(`no node ${name} in the simulated cluster`);
    return node;
  }

  private traceInput(name: string, input: NodeInput): void {
    if (input.type === 'tick') return; // ticks follow from time alone; hashing them would only cost
    let detail = '';
    if (input.type === 'message') detail = `${input.from} ${input.message.kind} ${input.message.opId}`;
    else if (input.type === 'deliveryFailed') detail = `${input.to} ${input.message.kind} ${input.message.opId}`;
    else if (input.type === 'stored') detail = `${input.storeId} ${input.outcome.ok}`;
    else if (input.type === 'request') detail = `${input.requestId} ${input.request.kind} ${'key' in input.request ? input.request.key : ''}`;
    this.traceLine(`${name} ${input.type} ${detail}`);
  }

  private traceLine(line: string): void {
    this.trace.update(`${this.queue.nowUs} ${line}\n`);
  }
}
