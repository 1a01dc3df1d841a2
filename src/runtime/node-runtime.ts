/**
 * The real runtime of one node (DESIGN §3): it drives the pure KvNode with the wall clock, TCP
 * between nodes, LMDB on disk behind an object buffer (storage/write-buffer.ts, Dynamo §6.1) and
 * an HTTP API. Everything it opens, `close()` closes, so a test can start and stop whole
 * clusters in one process.
 *
 * Inputs are stepped one at a time, from a queue: store and hint ops run synchronously against
 * the buffer, and their outcomes join the queue behind the input whose effects asked for them —
 * no promise per op, and the node is never re-entered while it steps.
 */
import { randomInt } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { unreachable } from '../core/assert.ts';
import { KvorumError } from '../core/errors.ts';
import type { Effect, NodeInput } from '../core/effects.ts';
import type { ClientResult, NodeRequest, PeerMessage } from '../core/messages.ts';
import { KvNode } from '../core/node.ts';
import { peerMessageProblem } from '../core/peer-message-check.ts';
import { configView, seedOnlyView } from '../core/membership/initial-view.ts';
import type { Membership } from '../core/membership/membership.ts';
import { decodeMembership, membershipMetaName, type PersistedMembership } from '../core/membership/persisted.ts';
import { servingRing } from '../core/membership/view.ts';
import type { Ring, RingNode } from '../core/ring/types.ts';
import type { StorageEngine } from '../storage/engine.ts';
import { metaKey } from '../storage/keys.ts';
import { openStorage } from '../storage/open.ts';
import { bucketPropsOf, replicasNMinOf, replicasNOf, type NodeSettings } from './config.ts';
import { partitionSizes, scanForTransfer, type PartitionSize } from './partition-scan.ts';
import { scanForListing } from './listing-scan.ts';
import { actorOf, loadOrCreateIncarnation } from './incarnation.ts';
import { actorGenerationMetaName, cleanStopMetaName, decodeActorGeneration, encodeActorGeneration, generationAtStart } from '../core/replica/actor-generation.ts';
import { decodeEpochsRecord, tombstoneEpochsMetaName } from '../core/tombstones/epochs.ts';
import { HintExecutor } from './hint-executor.ts';
import { isContextlessDelete, readThenDelete } from './read-before-delete.ts';
import { StoreExecutor } from './store-executor.ts';
import { lockDataDir, type DataDirLock } from '../storage/data-dir-lock.ts';
import { WriteAheadLog } from '../storage/write-ahead-log.ts';
import { WriteBuffer } from '../storage/write-buffer.ts';
import { limits, type BucketProps } from '../core/limits.ts';
import { changedBucketProps } from '../core/membership/bucket-props.ts';
import { validateBucket } from '../core/validate.ts';
import { Transport } from './transport/transport.ts';
import { parsePeerAddress } from './transport/peer-address.ts';
import { fromWire, toWire } from './transport/object-wire.ts';
import type { NodeStatus } from '../core/status.ts';
import { IdTable } from '../core/id-table.ts';
import { clientOpOf, clientOps, Instruments, type ClientOp } from './metrics/instruments.ts';

/**
 * Times a change of a bucket's properties is made again over settings that landed while its
 * check of n ran (setBucketProps); then it fails `unavailable`.
 */
const bucketPropsAttemptsMax = 3;

function sameBucketProps(a: BucketProps, b: BucketProps): boolean {
  return a.n === b.n && a.r === b.r && a.w === b.w && a.pr === b.pr && a.pw === b.pw && a.resolution === b.resolution && a.durability === b.durability;
}

/** Meta record of a cluster name a node learned from its seeds (NodeSettings.learnsClusterName). */
const clusterNameMetaName = 'clusterName';
/** How long staging a join waits for the joiner to answer this node over the peer transport. */
const joinHandshakeWaitMs = 5_000;
/** How often that wait looks. */
const joinHandshakePollMs = 50;

/** How often deadlines are checked. Request deadlines are accurate to about this. */
const tickIntervalMs = 10;
/** Pause before a transfer scan that failed on disk is tried again. */
const transferScanRetryMs = 1_000;

export type PeerStatus = 'self' | 'up' | 'down' | 'unknown';

/** A client request waiting for its answer, and what its latency is recorded under. */
interface PendingRequest {
  readonly onResult: (result: ClientResult) => void;
  readonly op: ClientOp;
  readonly startedMs: number;
}

/** What a running node reports (plain data): the core's status and the runtime's own counts. */
export interface RuntimeStatus {
  readonly node: NodeStatus;
  readonly client: {
    /** Client requests answered, by op, and of them those answered with an error, by op and code. */
    readonly requests: Readonly<Record<ClientOp, number>>;
    readonly errors: Readonly<Record<ClientOp, Readonly<Record<string, number>>>>;
    /** Client requests waiting for an answer now. */
    readonly pending: number;
  };
  readonly peers: {
    readonly messagesRefused: number;
    readonly messagesTooLarge: number;
    readonly framesTimedOut: number;
    readonly connectionsRefused: number;
  };
  /** The object buffer (storage/write-buffer.ts): writes waiting for a commit, and commits made. */
  readonly buffer: {
    readonly pendingWrites: number;
    readonly pendingBytes: number;
    readonly commits: number;
    readonly writesCommitted: number;
    /** Appends to the write-ahead log (storage/write-ahead-log.ts). */
    readonly logAppends: number;
  };
}

/** A random first op id for this boot (NodeConfig.firstOpId): 2^48 choices, so restarts do not collide. */
function randomFirstOpId(): number {
  return 1 + randomInt(2 ** 48 - 1);
}

export class NodeRuntime {
  /** By request id; an IdTable, not a Map, because it churns with every request (core/id-table.ts says why). */
  private readonly pending = new IdTable<PendingRequest>();
  /** Latency histograms and client counts (metrics/instruments.ts). */
  readonly instruments: Instruments;
  private nextRequestId = 1;
  private lastNowMs = 0;
  private readonly hintExecutor: HintExecutor;
  private readonly executor: StoreExecutor;
  /** Inputs waiting for the node; drained by whoever finds the node idle (`run`). */
  private readonly inputs: NodeInput[] = [];
  private stepping = false;
  private peerMessagesRefused = 0;
  /** Messages the transport would not send (over the frame limit), reported to the node as undelivered. */
  private peerMessagesTooLarge = 0;
  private closed = false;
  private tickTimer: NodeJS.Timeout | undefined;
  /** This process's claim on the data dir (storage/data-dir-lock.ts); none for the memory engine. */
  private dataDirLock: DataDirLock | undefined;
  private addressesVersion = 0;
  /** The configured cluster name, or the one this node learned from a seed and keeps on disk. */
  private clusterNameNow: string;

  private constructor(
    readonly settings: NodeSettings,
    readonly node: KvNode,
    readonly actor: string,
    /** Made when the data dir was first used (incarnation.ts); /health reports it. */
    readonly incarnation: string,
    private readonly engine: StorageEngine,
    private readonly buffer: WriteBuffer,
    private transport: Transport | undefined,
    private readonly logger: Logger,
    instruments: Instruments,
  ) {
    this.instruments = instruments;
    this.executor = new StoreExecutor(buffer, instruments.storeOpSeconds);
    this.hintExecutor = new HintExecutor(buffer);
    this.clusterNameNow = settings.cluster.clusterName;
  }

  /** `testing`: transport options no config sets (a test shrinks the frame limit to reach it). */
  static async start(settings: NodeSettings, logger: Logger, testing: { readonly frameBytesMax?: number } = {}): Promise<NodeRuntime> {
    if (settings.storage === 'lmdb') mkdirSync(settings.dataDir, { recursive: true });
    /** What the start holds so far, let go in reverse if it fails. */
    const held: (() => Promise<void>)[] = [];
    try {
      const dataDirLock = settings.storage === 'lmdb' ? await lockDataDir(settings.dataDir) : undefined;
      if (dataDirLock !== undefined) held.push(() => dataDirLock.release());
      const engine = await openStorage({ kind: settings.storage, path: settings.dataDir });
      held.push(() => engine.close());
      const log = settings.storage === 'lmdb' ? await openLog(settings.dataDir, engine, logger) : undefined;
      if (log !== undefined) held.push(() => log.close());
      const { incarnation, created } = await loadOrCreateIncarnation(engine);
      const actor = actorOf(settings.name, incarnation);
      const actorGeneration = await startGeneration(engine, created, logger);
      const tombstoneEpochs = decodeEpochsRecord(engine.get(metaKey(tombstoneEpochsMetaName)));
      const { cluster } = settings;
      const persisted = await loadMembership(engine);
      const self = cluster.nodes.find((node) => node.name === settings.name)!;
      const replicasN = replicasNOf(cluster);
      const seedsOnly = settings.seeds.size > 0 && !settings.listed;
      const initialView = persisted?.view ?? (seedsOnly ? seedOnlyView(self, cluster.partitionCount) : configView(cluster.nodes, cluster.partitionCount, replicasN));
      const ring = servingRing(initialView);
      const node = new KvNode({
        name: settings.name,
        actor,
        actorGeneration,
        tombstoneEpochs,
        ring,
        bucketProps: bucketPropsOf(cluster),
        requestTimeoutMs: cluster.requestTimeoutMs,
        requestLimits: cluster.requestLimits,
        firstOpId: randomFirstOpId(),
        antiEntropy: { exchangeIntervalMs: cluster.antiEntropyExchangeIntervalMs },
        membership: { self, seeds: settings.seeds, replicasN, replicasNMin: replicasNMinOf(cluster), gossipSeed: randomInt(2 ** 31), initialView, initialStaged: persisted?.staged },
      });
      const instruments = new Instruments();
      const buffer = new WriteBuffer(engine, {
        flushIntervalMs: cluster.flushIntervalMs,
        bytesMax: limits.writeBufferBytesMax,
        groupCommitWindowMs: limits.groupCommitWindowMs,
        busy: () => node.inflightCount >= limits.groupCommitBusyRequestsMin,
        onCommitError: (error) => logger.error({ err: error }, 'could not commit buffered writes to disk; they stay buffered and are tried again'),
        onCommitted: (ms) => instruments.commitSeconds.observe(ms / 1000),
        log,
        onLogged: (ms) => instruments.logAppendSeconds.observe(ms / 1000),
        onLogError: (error) => logger.error({ err: error }, 'could not append to the write-ahead log; waits for durability now wait for LMDB commits'),
      });
      const runtime = new NodeRuntime(settings, node, actor, incarnation, engine, buffer, undefined, logger, instruments);
      runtime.dataDirLock = dataDirLock;
      const learned = settings.learnsClusterName ? engine.get(metaKey(clusterNameMetaName)) : undefined;
      if (learned !== undefined) runtime.clusterNameNow = Buffer.from(learned).toString('utf8');
      await runtime.startTransport(testing.frameBytesMax, settings.learnsClusterName && learned === undefined);
      runtime.tickTimer = setInterval(() => runtime.input({ type: 'tick' }), tickIntervalMs);
      logger.info({ node: settings.name, actor, storage: settings.storage, dataDir: settings.dataDir }, 'node started');
      return runtime;
    } catch (error) {
      for (const letGo of held.reverse()) await letGo().catch(() => undefined);
      throw error;
    }
  }

  get ring(): Ring {
    return this.node.currentRing;
  }

  /** The cluster this node is in: configured, or learned from a seed (NodeSettings.learnsClusterName). */
  get clusterName(): string {
    return this.clusterNameNow;
  }

  /**
   * Sets a bucket's properties at run time (issue 12 §7): validated over its current ones
   * (core/membership/bucket-props.ts), then set in the view, which gossip spreads and every node
   * keeps on disk. Changing N is refused while the bucket holds keys, tombstones included
   * (`bucket_not_empty`): the keys already written would sit on replicas the new N does not name,
   * where no read, repair or tombstone collection looks for them (docs/api.md says more).
   */
  async setBucketProps(bucket: string, change: unknown): Promise<BucketProps> {
    validateBucket(bucket);
    // The check of n waits for a listing, while other settings of the bucket may land (here or
    // by gossip): the change is made over the properties as they are when it is set, never over
    // those it started from, which would undo what landed meanwhile.
    for (let attempt = 1; ; attempt++) {
      const current = this.node.bucketProps(bucket);
      const props = changedBucketProps(current, change, replicasNOf(this.settings.cluster));
      if (props.n !== current.n) {
        const listed = await this.request({ kind: 'listKeys', bucket, after: null, limit: 1, withDeleted: true });
        if (listed.kind === 'error') throw new KvorumError(listed.code, `cannot tell whether bucket ${bucket} holds keys, so its n stays ${current.n}: ${listed.message}`, listed.detail);
        if (listed.kind === 'keys' && listed.keys.length > 0) {
          throw new KvorumError('bucket_not_empty', `bucket ${bucket} holds keys (${JSON.stringify(listed.keys[0])}…): its n stays ${current.n}. Copy its keys to a new bucket of n=${props.n} instead`, { n: current.n });
        }
      }
      if (sameBucketProps(this.node.bucketProps(bucket), current)) {
        this.command((membership) => membership.setBucketProps(bucket, props, current.n));
        return props;
      }
      if (attempt >= bucketPropsAttemptsMax) {
        throw new KvorumError('unavailable', `bucket ${bucket}'s properties changed ${attempt} times while this change was checked: try again`, { bucketPropsAttemptsMax });
      }
    }
  }

  /**
   * Resolves once `node` — a node an operator asks to join — has answered this one over the peer
   * transport, which takes a handshake each way: this node dials it to ask for its view, and it
   * dials back to answer. Throws `unavailable`, with the transport's reason when it has one, if
   * no answer comes within joinHandshakeWaitMs: a node that cannot talk to the cluster must not
   * be staged, or its commit would wait for transfers that never run (issue 12 §2).
   */
  async awaitHandshake(node: RingNode): Promise<void> {
    const { name } = this.settings;
    if (node.name === name) throw new KvorumError('bad_request', `${name} cannot stage its own join: run kvorum join against a member (--seed)`);
    const sinceMs = this.now();
    this.command((membership) => membership.probe(node));
    const deadline = sinceMs + joinHandshakeWaitMs;
    // Each way: hearing from the joiner is not enough (a node started with --seed gossips to its
    // seed on its own), this node must also have completed a handshake with it at the address the
    // join names, which the ring will hold and every member dial.
    const dialed = parsePeerAddress(node.name, this.settings.dialAddresses.get(node.name) ?? node.address);
    const reached = (): boolean => {
      const open = this.transport?.openAddressOf(node.name) ?? null;
      return open !== null && open.host === dialed.host && open.port === dialed.port;
    };
    while ((this.node.lastHeardMs(node.name) ?? -1) < sinceMs || !reached()) {
      const failure = this.transport?.lastFailureOf(node.name) ?? null;
      // A refused handshake (cluster name, secret) will not pass by waiting: say so at once.
      if (this.now() >= deadline || this.closed || failure?.rejected === true) {
        const reason = failure?.reason;
        throw new KvorumError(
          'unavailable',
          `cannot stage the join of ${node.name}: ${failure?.rejected === true ? 'the handshake with it failed' : `${name} did not reach it and hear its answer within ${joinHandshakeWaitMs} ms`} at ${node.address}` +
            `${reason ? ` (${reason})` : ''}. A node can join only once it talks to the cluster: start it with --seed naming a member ` +
            `(it learns the cluster's name from the seed) and with the cluster's secret if it has one; its log says why a handshake failed`,
          { node: node.name, address: node.address, ...(reason ? { reason } : {}) },
        );
      }
      await new Promise((resolve) => setTimeout(resolve, joinHandshakePollMs));
    }
  }

  /** Runs an operator command against membership; its effects (gossip, persisting) are carried out. */
  command<T>(run: (membership: Membership) => T): T {
    if (this.closed) throw new KvorumError('unavailable', `node ${this.settings.name} is shutting down`);
    let result: T | undefined;
    this.run(() => {
      const commanded = this.node.command(this.now(), run);
      result = commanded.result;
      return commanded.effects;
    });
    return result as T;
  }

  /** Keys and bytes per partition on this node's disk (plans report them). */
  partitionSizes(): Promise<PartitionSize[]> {
    return partitionSizes(this.buffer);
  }

  /** Coordinates one client request; resolves with its result (errors are results, not throws). */
  request(request: NodeRequest): Promise<ClientResult> {
    return new Promise((resolve) => this.submit(request, resolve));
  }

  /**
   * `request` without a promise, for the binary protocol's hot path: `onResult` is called once,
   * possibly before submit returns (a request refused at once). A delete without a context reads
   * the key first and deletes what it read (read-before-delete.ts).
   */
  submit(request: NodeRequest, onResult: (result: ClientResult) => void): void {
    if (isContextlessDelete(request)) {
      const submitOne = (one: NodeRequest, done: (result: ClientResult) => void) => this.submitOne(one, done);
      return readThenDelete(submitOne, request, this.settings.cluster.requestTimeoutMs, () => this.now(), onResult);
    }
    this.submitOne(request, onResult);
  }

  private submitOne(request: NodeRequest, onResult: (result: ClientResult) => void): void {
    if (this.closed) {
      const error = new KvorumError('unavailable', `node ${this.settings.name} is shutting down`);
      return onResult({ kind: 'error', ...error.toJSON() });
    }
    const requestId = this.nextRequestId++;
    this.pending.set(requestId, { onResult, op: clientOpOf(request), startedMs: performance.now() });
    this.input({ type: 'request', requestId, request });
  }

  /** How this node's failure detector sees a peer (Dynamo §4.8: each node decides for itself). */
  peerStatus(name: string): PeerStatus {
    return this.node.reachability(name);
  }

  status(): RuntimeStatus {
    const { instruments } = this;
    const inbound = this.transport?.inboundCounters();
    return {
      node: this.node.status(),
      client: {
        requests: { ...instruments.clientRequests },
        errors: Object.fromEntries(clientOps.map((op) => [op, Object.fromEntries(instruments.clientErrors[op])])) as RuntimeStatus['client']['errors'],
        pending: this.pending.size,
      },
      peers: {
        messagesRefused: this.peerMessagesRefused,
        messagesTooLarge: this.peerMessagesTooLarge,
        framesTimedOut: inbound?.framesTimedOut ?? 0,
        connectionsRefused: inbound?.connectionsRefused ?? 0,
      },
      buffer: {
        pendingWrites: this.buffer.pendingCount,
        pendingBytes: this.buffer.pendingBytesCount,
        commits: this.buffer.commits,
        writesCommitted: this.buffer.writesCommitted,
        logAppends: this.buffer.appends,
      },
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.tickTimer) clearInterval(this.tickTimer);
    await this.transport?.close();
    for (const [, { onResult }] of this.pending.entries()) {
      onResult({ kind: 'error', code: 'unavailable', message: `node ${this.settings.name} shut down before answering` });
    }
    this.pending.clear();
    // Everything buffered goes to disk; then the mark that says so (generationAtStart).
    try {
      await this.buffer.close();
      await this.engine.put(metaKey(cleanStopMetaName), Uint8Array.of(1));
    } catch (error) {
      this.logger.error({ err: error }, 'could not commit buffered writes while stopping; the node will start as a new writer');
    }
    try {
      await this.engine.close();
    } finally {
      await this.dataDirLock?.release();
    }
    this.logger.info({ node: this.settings.name }, 'node stopped');
  }

  private async startTransport(frameBytesMax: number | undefined, learnClusterName: boolean): Promise<void> {
    const { settings } = this;
    const peers = this.dialedAddresses();
    this.addressesVersion = this.node.membership.addressesVersion;
    this.transport = new Transport({
      nodeName: settings.name,
      clusterName: this.clusterNameNow,
      learnClusterName,
      onClusterNameLearned: (name) => {
        this.clusterNameNow = name;
        this.buffer.write([{ type: 'put', key: metaKey(clusterNameMetaName), value: Buffer.from(name, 'utf8') }]);
      },
      clusterSecret: settings.cluster.clusterSecret,
      tls: settings.security.tls,
      listenHost: settings.listenHost,
      listenPort: settings.listenPort,
      peers,
      onMessage: (from, message) => this.onPeerMessage(from, message),
      onDeliveryFailed: (to, message) => this.input({ type: 'deliveryFailed', to, message: message as PeerMessage }),
      logger: this.logger,
      frameTimeoutMs: settings.cluster.peerFrameTimeoutMs,
      ...(frameBytesMax === undefined ? {} : { frameBytesMax }),
    });
    await this.transport.start();
  }

  /** The members' addresses as this node dials them: advertised, unless the config says otherwise. */
  private dialedAddresses(): Map<string, string> {
    const addresses = this.node.membership.addresses();
    for (const [peer, address] of this.settings.dialAddresses) if (addresses.has(peer)) addresses.set(peer, address);
    return addresses;
  }

  /** Acts on a well-formed message; drops, logs and counts any other (peer-message-check.ts). */
  private onPeerMessage(from: string, received: unknown): void {
    let problem: string | null;
    let message: unknown;
    try {
      message = fromWire(received);
      problem = peerMessageProblem(message, { partitionCount: this.node.currentRing.partitionCount, keyBytesMax: this.settings.cluster.requestLimits.keyBytesMax });
    } catch (error) {
      problem = (error as Error).message;
    }
    if (problem === null) {
      this.instruments.onPeerReply(message as PeerMessage, performance.now());
      return this.input({ type: 'message', from, message: message as PeerMessage });
    }
    this.peerMessagesRefused++;
    warnSometimes(this.logger, this.peerMessagesRefused, { node: this.settings.name, from, problem }, 'dropped a malformed message from a peer');
  }

  /**
   * Hands a message to the transport. One it will not send — larger than a frame, which the core
   * never makes (objects are bounded: core/version/object-bound.ts) — is counted and reported to
   * the node as undelivered, as a dropped connection would be: a throw here would end the process,
   * and after a restart the same message would be made again (issue 11 §2).
   */
  private send(to: string, message: PeerMessage): void {
    try {
      this.instruments.onPeerSend(message, performance.now());
      this.transport?.send(to, message, toWire(message));
    } catch (error) {
      if (!(error instanceof KvorumError)) throw error; // an assertion: a bug in the caller
      this.peerMessagesTooLarge++;
      warnSometimes(this.logger, this.peerMessagesTooLarge, { node: this.settings.name, to, kind: message.kind, err: error }, 'could not send a message to a peer');
      queueMicrotask(() => this.input({ type: 'deliveryFailed', to, message }));
    }
  }

  private now(): number {
    // The core requires time that never goes backwards; the wall clock may step back.
    this.lastNowMs = Math.max(this.lastNowMs, Date.now());
    return this.lastNowMs;
  }

  private input(input: NodeInput): void {
    if (this.closed) return;
    this.inputs.push(input);
    if (!this.stepping) this.run(null);
  }

  /**
   * Performs `first`'s effects (if given), then steps every queued input in order, until none is
   * left. Effects that complete at once (store and hint ops) queue their outcome as an input.
   */
  private run(first: (() => readonly Effect[]) | null): void {
    this.stepping = true;
    try {
      if (first !== null) this.performAll(first());
      for (let input = this.inputs.shift(); input !== undefined; input = this.inputs.shift()) {
        if (this.closed) break;
        this.performAll(this.node.step(this.now(), input));
      }
    } finally {
      this.stepping = false;
    }
  }

  private performAll(effects: readonly Effect[]): void {
    // Peers first: a step that learned a node's address (a gossip from a node asking to join, a
    // probe of one) may also send to it.
    this.syncPeers();
    for (const effect of effects) this.perform(effect);
    this.syncPeers();
  }

  /** Gives the transport the addresses membership knows, when they changed. */
  private syncPeers(): void {
    const { membership } = this.node;
    if (membership.addressesVersion !== this.addressesVersion) {
      this.addressesVersion = membership.addressesVersion;
      try {
        this.transport?.setPeers(this.dialedAddresses());
      } catch (error) {
        // Views are checked on arrival (core/membership/view-check.ts), so this is a bug; the
        // node keeps dialling the addresses it had rather than stop.
        this.logger.error({ err: error }, 'could not take the new peer addresses');
      }
    }
  }

  private perform(effect: Effect): void {
    switch (effect.type) {
      case 'send':
        this.send(effect.to, effect.message);
        return;
      case 'reply': {
        const pending = this.pending.get(effect.requestId);
        if (pending === undefined) return;
        this.pending.delete(effect.requestId);
        const { result } = effect;
        this.instruments.onClientResult(pending.op, performance.now() - pending.startedMs, result.kind === 'error' ? result.code : undefined);
        pending.onResult(result);
        return;
      }
      case 'store':
        this.inputs.push({ type: 'stored', storeId: effect.storeId, outcome: this.executor.run(effect, effect.op) });
        return;
      case 'meta':
        this.buffer.write([{ type: 'put', key: metaKey(effect.name), value: effect.value }]);
        return;
      case 'flush': {
        const { flushId } = effect;
        this.buffer.flushed().then(
          () => this.input({ type: 'flushed', flushId, ok: true }),
          () => this.input({ type: 'flushed', flushId, ok: false }),
        );
        return;
      }
      case 'hints': {
        const { hintsId } = effect;
        const outcome = this.hintExecutor.run(effect.op);
        if (outcome instanceof Promise) void outcome.then((done) => this.input({ type: 'hintsDone', hintsId, outcome: done }));
        else this.inputs.push({ type: 'hintsDone', hintsId, outcome });
        return;
      }
      case 'transferScan':
        void scanForTransfer(this.buffer, effect).then(
          (result) => this.input({ type: 'transferScanned', scanId: effect.scanId, ...result }),
          (error: unknown) => {
            this.logger.error({ err: error, partition: effect.partition }, 'transfer scan failed; retrying');
            // An empty chunk that is not the last makes the transfer scan again from where it was.
            setTimeout(() => this.input({ type: 'transferScanned', scanId: effect.scanId, entries: [], exhausted: false }), transferScanRetryMs);
          },
        );
        return;
      case 'listScan': {
        const { scanId } = effect;
        void scanForListing(this.buffer, effect).then(
          (result) => this.input({ type: 'listScanned', scanId, ok: true, ...result }),
          (error: unknown) => {
            this.logger.error({ err: error, partition: effect.partition }, 'listing scan failed');
            this.input({ type: 'listScanned', scanId, ok: false, items: [], next: effect.after });
          },
        );
        return;
      }
      default:
        unreachable(effect, 'effect');
    }
  }
}

/** Logs the 1st, 2nd, 4th, 8th… of a repeated warning: a peer sending garbage cannot flood the log. */
function warnSometimes(logger: Logger, count: number, fields: object, message: string): void {
  if ((count & (count - 1)) === 0) logger.warn({ ...fields, count }, message);
}

/**
 * The node's write-ahead log, in `<dataDir>/wal`, once it has applied to the engine what it held
 * past the engine's last commit (a crash's writes).
 */
async function openLog(dataDir: string, engine: StorageEngine, logger: Logger): Promise<WriteAheadLog> {
  const log = await WriteAheadLog.open(join(dataDir, 'wal'), engine);
  const { replayed, strandedGroups } = log.recovery;
  if (replayed > 0) logger.info({ writes: replayed }, 'applied the writes of the write-ahead log that LMDB did not hold yet');
  if (strandedGroups > 0) logger.error({ groups: strandedGroups }, 'the write-ahead log holds groups past a damaged one; they are not applied (anti-entropy repairs their keys from the replicas)');
  return log;
}

async function loadMembership(engine: StorageEngine): Promise<PersistedMembership | undefined> {
  const bytes = engine.get(metaKey(membershipMetaName));
  return bytes === undefined ? undefined : decodeMembership(bytes);
}

/**
 * The actor generation to run under (generationAtStart): a node that crashed becomes a new
 * writer. The generation and the removal of the clean-stop mark are on disk before it serves.
 */
async function startGeneration(engine: StorageEngine, fresh: boolean, logger: Logger): Promise<number> {
  const recorded = decodeActorGeneration(engine.get(metaKey(actorGenerationMetaName)));
  const stoppedCleanly = engine.get(metaKey(cleanStopMetaName)) !== undefined;
  const generation = generationAtStart(recorded, stoppedCleanly, fresh);
  if (generation !== recorded) logger.warn({ generation }, 'the node did not stop cleanly: it writes as a new actor generation');
  await engine.batch([
    { type: 'put', key: metaKey(actorGenerationMetaName), value: encodeActorGeneration(generation) },
    { type: 'delete', key: metaKey(cleanStopMetaName) },
  ]);
  return generation;
}
