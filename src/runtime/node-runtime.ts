/**
 * The real runtime of one node (DESIGN §3): it drives the pure KvNode with the wall clock, TCP
 * between nodes, LMDB on disk and an HTTP API. Everything it opens, `close()` closes, so a test
 * can start and stop whole clusters in one process.
 */
import { randomInt } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import type { Logger } from 'pino';
import { unreachable } from '../core/assert.ts';
import { KvorumError } from '../core/errors.ts';
import type { Effect, NodeInput } from '../core/effects.ts';
import type { ClientRequest, ClientResult, PeerMessage } from '../core/messages.ts';
import { KvNode } from '../core/node.ts';
import { peerMessageProblem } from '../core/peer-message-check.ts';
import { configView, seedOnlyView } from '../core/membership/initial-view.ts';
import type { Membership } from '../core/membership/membership.ts';
import { decodeMembership, membershipMetaName, type PersistedMembership } from '../core/membership/persisted.ts';
import { servingRing } from '../core/membership/view.ts';
import type { Ring } from '../core/ring/types.ts';
import type { StorageEngine } from '../storage/engine.ts';
import { metaKey } from '../storage/keys.ts';
import { openStorage } from '../storage/open.ts';
import { bucketPropsOf, replicasNOf, type NodeSettings } from './config.ts';
import { partitionSizes, scanForTransfer, type PartitionSize } from './partition-scan.ts';
import { actorOf, loadOrCreateIncarnation } from './incarnation.ts';
import { actorGenerationMetaName, decodeActorGeneration } from '../core/replica/actor-generation.ts';
import { decodeEpochsRecord, tombstoneEpochsMetaName } from '../core/tombstones/epochs.ts';
import { HintExecutor } from './hint-executor.ts';
import { StoreExecutor } from './store-executor.ts';
import { Transport } from './transport/transport.ts';

/** How often deadlines are checked. Request deadlines are accurate to about this. */
const tickIntervalMs = 10;
/** Pause before a transfer scan that failed on disk is tried again. */
const transferScanRetryMs = 1_000;

export type PeerStatus = 'self' | 'up' | 'down' | 'unknown';

/** A random first op id for this boot (NodeConfig.firstOpId): 2^48 choices, so restarts do not collide. */
function randomFirstOpId(): number {
  return 1 + randomInt(2 ** 48 - 1);
}

export class NodeRuntime {
  private readonly pending = new Map<number, (result: ClientResult) => void>();
  private nextRequestId = 1;
  private lastNowMs = 0;
  private readonly hintExecutor: HintExecutor;
  private peerMessagesRefused = 0;
  /** Messages the transport would not send (over the frame limit), reported to the node as undelivered. */
  private peerMessagesTooLarge = 0;
  private closed = false;
  private tickTimer: NodeJS.Timeout | undefined;
  private addressesVersion = 0;
  /** Meta writes in the order the node issued them (the last view written wins). */
  private metaWrites: Promise<void> = Promise.resolve();

  private constructor(
    readonly settings: NodeSettings,
    readonly node: KvNode,
    readonly actor: string,
    private readonly engine: StorageEngine,
    private readonly executor: StoreExecutor,
    private transport: Transport | undefined,
    private readonly logger: Logger,
  ) {
    this.hintExecutor = new HintExecutor(engine);
  }

  /** `testing`: transport options no config sets (a test shrinks the frame limit to reach it). */
  static async start(settings: NodeSettings, logger: Logger, testing: { readonly frameBytesMax?: number } = {}): Promise<NodeRuntime> {
    if (settings.storage === 'lmdb') mkdirSync(settings.dataDir, { recursive: true });
    const engine = await openStorage({ kind: settings.storage, path: settings.dataDir });
    const incarnation = await loadOrCreateIncarnation(engine);
    const actor = actorOf(settings.name, incarnation);
    const actorGeneration = decodeActorGeneration(await engine.get(metaKey(actorGenerationMetaName)));
    const tombstoneEpochs = decodeEpochsRecord(await engine.get(metaKey(tombstoneEpochsMetaName)));
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
      membership: { self, seeds: settings.seeds, replicasN, gossipSeed: randomInt(2 ** 31), initialView, initialStaged: persisted?.staged },
    });
    const runtime = new NodeRuntime(settings, node, actor, engine, new StoreExecutor(engine, actorGeneration), undefined, logger);
    try {
      await runtime.startTransport(testing.frameBytesMax);
    } catch (error) {
      await engine.close();
      throw error;
    }
    runtime.tickTimer = setInterval(() => runtime.input({ type: 'tick' }), tickIntervalMs);
    logger.info({ node: settings.name, actor, storage: settings.storage, dataDir: settings.dataDir }, 'node started');
    return runtime;
  }

  get ring(): Ring {
    return this.node.currentRing;
  }

  /** Runs an operator command against membership; its effects (gossip, persisting) are carried out. */
  command<T>(run: (membership: Membership) => T): T {
    if (this.closed) throw new KvorumError('unavailable', `node ${this.settings.name} is shutting down`);
    const { result, effects } = this.node.command(this.now(), run);
    this.performAll(effects);
    return result;
  }

  /** Keys and bytes per partition on this node's disk (plans report them). */
  partitionSizes(): Promise<PartitionSize[]> {
    return partitionSizes(this.engine);
  }

  /** Coordinates one client request; resolves with its result (errors are results, not throws). */
  request(request: ClientRequest): Promise<ClientResult> {
    if (this.closed) {
      const error = new KvorumError('unavailable', `node ${this.settings.name} is shutting down`);
      return Promise.resolve({ kind: 'error', ...error.toJSON() });
    }
    const requestId = this.nextRequestId++;
    return new Promise((resolve) => {
      this.pending.set(requestId, resolve);
      this.input({ type: 'request', requestId, request });
    });
  }

  /** How this node's failure detector sees a peer (Dynamo §4.8: each node decides for itself). */
  peerStatus(name: string): PeerStatus {
    return this.node.reachability(name);
  }

  metrics(): ReadonlyMap<string, number> {
    const metrics = new Map(this.node.counters);
    metrics.set('inflight', this.node.inflightCount);
    metrics.set('pendingClientRequests', this.pending.size);
    metrics.set('peerMessagesRefused', this.peerMessagesRefused);
    metrics.set('peerMessagesTooLarge', this.peerMessagesTooLarge);
    const inbound = this.transport?.inboundCounters();
    metrics.set('peerFramesTimedOut', inbound?.framesTimedOut ?? 0);
    metrics.set('peerConnectionsRefused', inbound?.connectionsRefused ?? 0);
    metrics.set('hints.pending', this.node.hintsPendingCount);
    // Whether this node knows the partition epochs (until then it refuses replicas' writes).
    metrics.set('tombstones.epochsKnown', this.node.epochs.known ? 1 : 0);
    // Gauges of anti-entropy: keys held in settled trees, and the background rate in percent.
    metrics.set('aae.keysStored', this.node.antiEntropy.keysCount());
    metrics.set('aae.ratePercent', Math.round(100 * this.node.antiEntropy.rateShare));
    return metrics;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.tickTimer) clearInterval(this.tickTimer);
    await this.transport?.close();
    for (const resolve of this.pending.values()) {
      resolve({ kind: 'error', code: 'unavailable', message: `node ${this.settings.name} shut down before answering` });
    }
    this.pending.clear();
    // Let store ops already started finish before the engine goes away.
    await new Promise((resolve) => setTimeout(resolve, 20));
    await this.metaWrites;
    await this.engine.close();
    this.logger.info({ node: this.settings.name }, 'node stopped');
  }

  private async startTransport(frameBytesMax: number | undefined): Promise<void> {
    const { settings } = this;
    const peers = this.dialedAddresses();
    this.addressesVersion = this.node.membership.addressesVersion;
    this.transport = new Transport({
      nodeName: settings.name,
      clusterName: settings.cluster.clusterName,
      clusterSecret: settings.cluster.clusterSecret,
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
  private onPeerMessage(from: string, message: unknown): void {
    const problem = peerMessageProblem(message, { partitionCount: this.node.currentRing.partitionCount, keyBytesMax: this.settings.cluster.requestLimits.keyBytesMax });
    if (problem === null) return this.input({ type: 'message', from, message: message as PeerMessage });
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
      this.transport?.send(to, message);
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
    this.performAll(this.node.step(this.now(), input));
  }

  private performAll(effects: readonly Effect[]): void {
    for (const effect of effects) this.perform(effect);
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
        const resolve = this.pending.get(effect.requestId);
        this.pending.delete(effect.requestId);
        resolve?.(effect.result);
        return;
      }
      case 'store':
        void this.executor.run(effect, effect.op).then((outcome) => {
          if (!this.closed) this.input({ type: 'stored', storeId: effect.storeId, outcome });
        });
        return;
      case 'meta': {
        const key = metaKey(effect.name);
        const { metaId } = effect;
        this.metaWrites = this.metaWrites
          .then(async () => {
            await this.engine.put(key, effect.value);
            // Only once it is on disk: a node answers a collection round's fence after this.
            if (metaId !== undefined && !this.closed) this.input({ type: 'metaWritten', metaId });
          })
          .catch((error: unknown) => this.logger.error({ err: error, meta: effect.name }, 'could not persist a meta record'));
        return;
      }
      case 'hints':
        void this.hintExecutor.run(effect.op).then((outcome) => {
          if (!this.closed) this.input({ type: 'hintsDone', hintsId: effect.hintsId, outcome });
        });
        return;
      case 'transferScan':
        void scanForTransfer(this.engine, effect).then(
          (result) => this.input({ type: 'transferScanned', scanId: effect.scanId, ...result }),
          (error: unknown) => {
            this.logger.error({ err: error, partition: effect.partition }, 'transfer scan failed; retrying');
            // An empty chunk that is not the last makes the transfer scan again from where it was.
            setTimeout(() => this.input({ type: 'transferScanned', scanId: effect.scanId, entries: [], exhausted: false }), transferScanRetryMs);
          },
        );
        return;
      default:
        unreachable(effect, 'effect');
    }
  }
}

/** Logs the 1st, 2nd, 4th, 8th… of a repeated warning: a peer sending garbage cannot flood the log. */
function warnSometimes(logger: Logger, count: number, fields: object, message: string): void {
  if ((count & (count - 1)) === 0) logger.warn({ ...fields, count }, message);
}

async function loadMembership(engine: StorageEngine): Promise<PersistedMembership | undefined> {
  const bytes = await engine.get(metaKey(membershipMetaName));
  return bytes === undefined ? undefined : decodeMembership(bytes);
}
