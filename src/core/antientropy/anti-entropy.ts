/**
 * Anti-entropy (Dynamo §4.7, DESIGN §7): the node's hash tree per partition, kept current on
 * every write, and the exchanges that compare them with other replicas and repair only the keys
 * that differ. One exchange at a time is started every `exchangeIntervalMs` (at once after an
 * exchange that repaired something), round-robin over the partitions this node replicates, each
 * with the next reachable replica in turn; a wiped node is refilled by the exchanges of each of
 * its partitions.
 *
 * At start each tree is built by a budgeted scan, partition after partition
 * (partition-trees.ts); after that no rescans: every store outcome carries the object before
 * and after, which is all an XOR-combined tree needs.
 */
import type { StoreTarget } from '../coordinator/operation.ts';
import type { AaeExchange, AaeKeys, PeerMessage } from '../messages.ts';
import type { StoreOutcome } from '../replica/store-op.ts';
import { ownedPartitions, preferenceList } from '../ring/ring.ts';
import { assertFailed } from '../assert.ts';
import { BackgroundBudget } from './budget.ts';
import { aaeListedKeysMax } from './protocol-limits.ts';
import { sharedNMin, type ExchangeContext } from './exchange-context.ts';
import type { HashTree } from './hash-tree.ts';
import type { AntiEntropyHost } from './host.ts';
import { InitiatorExchange } from './initiator.ts';
import { LatencyProbe } from './latency-probe.ts';
import { PartitionTrees } from './partition-trees.ts';
import { ResponderExchange } from './responder.ts';
import { Scanner } from './scanner.ts';
import type { AntiEntropySettings } from './settings.ts';

export type AaeMessage = Extract<PeerMessage, { kind: 'aaeExchange' | 'aaeExchangeReply' | 'aaeKeys' | 'aaeKeysReply' | 'aaeRepair' }>;

export class AntiEntropy {
  private readonly trees: PartitionTrees;
  private readonly budget: BackgroundBudget;
  private readonly scanner: Scanner;
  private readonly context: ExchangeContext;
  private readonly latency = new LatencyProbe();
  private nextBuild = 0;
  private building = false;
  private initiator: InitiatorExchange | undefined;
  private readonly responders = new Map<string, ResponderExchange>();
  private nextExchangeMs: number;
  private partitionCursor = 0;
  /** Per partition, the next of its peers to exchange with. */
  private readonly peerCursors: number[] = [];

  constructor(
    private readonly settings: AntiEntropySettings,
    private readonly host: AntiEntropyHost,
  ) {
    if (!(settings.listedKeysPerExchangeMax <= aaeListedKeysMax)) assertFailed(`listedKeysPerExchangeMax above ${aaeListedKeysMax}, what peers accept`);
    this.trees = new PartitionTrees(host.ring.partitionCount, (bucket) => host.replicasOf(bucket));
    this.budget = new BackgroundBudget(settings, host.nowMs);
    this.scanner = new Scanner(host, this.budget, settings);
    this.context = { host, trees: this.trees, scanner: this.scanner, budget: this.budget, settings };
    this.nextExchangeMs = host.nowMs + settings.exchangeIntervalMs;
  }

  /**
   * The tree of a partition once built (for the simulator's checker and metrics): of the keys of
   * buckets with N ≥ `nMin` (all by default; partition-trees.ts).
   */
  treeOf(partition: number, nMin = 0): HashTree | undefined {
    return this.trees.settledTree(partition, nMin);
  }

  /**
   * Keys this node stores in partitions whose trees are settled, counted from the same outcomes
   * that keep the trees: a refill by anti-entropy shows here without any read.
   */
  keysCount(): number {
    let keys = 0;
    for (let partition = 0; partition < this.trees.partitionCount; partition++) keys += this.trees.keysCount(partition) ?? 0;
    return keys;
  }

  /** Keys of one partition, once its tree is settled. */
  keysCountOf(partition: number): number | undefined {
    return this.trees.keysCount(partition);
  }

  /** Whether every partition's tree has been built. */
  get treesBuilt(): boolean {
    return this.nextBuild >= this.trees.partitionCount && !this.building;
  }

  /** The current background rate as a fraction of the budget (1: full; halves on back-off). */
  get rateShare(): number {
    return 1 / this.budget.divisor;
  }

  onTick(): void {
    if (!this.settings.enabled) return;
    const adjusted = this.budget.advance(this.host.nowMs);
    if (adjusted < 0) this.host.count('aae.backoffs');
    if (!this.building) this.buildNext();
    this.expireExchanges();
    if (this.initiator === undefined && this.host.nowMs >= this.nextExchangeMs) {
      this.nextExchangeMs = this.host.nowMs + this.settings.exchangeIntervalMs;
      this.startExchange();
    }
    this.scanner.pump();
  }

  /** A store op on this node finished (coordinate, merge): keep the partition's tree current. */
  onLocalWrite(target: StoreTarget, outcome: StoreOutcome): void {
    if (outcome.ok) this.trees.onWrite(target.partition, target.bucket, target.key, outcome.previous, outcome.object);
  }

  onRequestStarted(requestId: number): void {
    this.latency.started(requestId, this.host.nowMs);
  }

  onRequestAnswered(requestId: number): void {
    const latencyMs = this.latency.answered(requestId, this.host.nowMs);
    if (latencyMs !== undefined) this.budget.onForegroundLatency(latencyMs);
  }

  onMessage(from: string, message: AaeMessage): void {
    switch (message.kind) {
      case 'aaeExchange':
        return this.onExchange(from, message);
      case 'aaeExchangeReply':
        return this.withInitiator(from, message.opId, (exchange) => exchange.onExchangeReply(message));
      case 'aaeKeys':
        return this.onKeys(from, message);
      case 'aaeKeysReply':
        return this.withInitiator(from, message.opId, (exchange) => exchange.onKeysReply(message));
      case 'aaeRepair':
        return this.onRepair(message);
    }
  }

  onDeliveryFailed(to: string, message: AaeMessage): void {
    if (this.initiator?.peer === to && this.initiator.opId === message.opId) this.endInitiator();
  }

  // ---- Building the trees ----

  private buildNext(): void {
    if (this.nextBuild >= this.trees.partitionCount) return;
    const partition = this.nextBuild++;
    this.building = true;
    this.trees.startBuild(partition);
    this.scanner.start(partition, {
      onEntries: (entries) => this.trees.onScanned(partition, entries),
      onDone: () => {
        for (const { bucket, key } of this.trees.finishBuild(partition)) this.reread({ partition, bucket, key });
        this.building = false;
        this.host.count('aae.treesBuilt');
        this.buildNext();
      },
    });
  }

  private reread(target: StoreTarget): void {
    this.host.read(target, (outcome) => {
      if (outcome.ok) this.trees.onReread(target.partition, target.bucket, target.key, outcome.object);
      else this.reread(target); // a failed read says nothing of the key: ask again
    });
  }

  // ---- Exchanges this node starts ----

  private startExchange(): void {
    const { ring, self } = this.host;
    const owned = ownedPartitions(ring, self, this.settings.partitionReplicas);
    for (let tried = 0; tried < owned.length; tried++) {
      const partition = owned[this.partitionCursor++ % owned.length]!;
      if (!this.trees.isSettled(partition)) continue;
      const peers = preferenceList(ring, partition, this.settings.partitionReplicas).filter((node) => node !== self && this.host.isReachable(node));
      if (peers.length === 0) continue;
      // Each partition takes its peers in turn: a cursor shared by all partitions pairs partition p
      // with the same peer for ever whenever the counts of partitions and peers share a factor, and
      // replicas that only those pairs would compare (the first two, for a bucket with N = 2) never meet.
      const cursor = this.peerCursors[partition] ?? 0;
      this.peerCursors[partition] = cursor + 1;
      const peer = peers[cursor % peers.length]!;
      this.initiator = new InitiatorExchange(this.context, this.host.nextOpId(), peer, partition, this.host.nowMs, sharedNMin(this.context, partition, peer));
      this.initiator.start();
      if (this.initiator.done) this.initiator = undefined;
      return;
    }
  }

  private withInitiator(from: string, opId: number, handle: (exchange: InitiatorExchange) => void): void {
    const exchange = this.initiator;
    if (exchange === undefined || exchange.peer !== from || exchange.opId !== opId) return; // late: abandoned already
    handle(exchange);
    if (!exchange.done) return;
    this.initiator = undefined;
    // While replicas differ (a wiped node, a healed partition), exchanges follow one another at
    // once: the background budget, not the interval, paces a refill.
    if (exchange.repaired) this.nextExchangeMs = this.host.nowMs;
  }

  private endInitiator(): void {
    this.initiator?.finish();
    this.initiator = undefined;
  }

  private expireExchanges(): void {
    const expiredBeforeMs = this.host.nowMs - this.settings.exchangeTimeoutMs;
    if (this.initiator !== undefined && this.initiator.startedMs < expiredBeforeMs) {
      this.host.count('aae.exchangesTimedOut');
      this.endInitiator();
    }
    for (const [id, responder] of this.responders) {
      if (responder.done || responder.startedMs < expiredBeforeMs) {
        responder.cancel();
        this.responders.delete(id);
      }
    }
  }

  // ---- Exchanges other nodes start ----

  /** Compares the initiator's branch hashes with ours; answers with our segments under those that differ. */
  private onExchange(from: string, message: AaeExchange): void {
    const { opId, partition } = message;
    const tree = this.settings.enabled ? this.trees.settledTree(partition, sharedNMin(this.context, partition, from)) : undefined;
    if (tree === undefined) {
      this.host.send(from, { kind: 'aaeExchangeReply', opId, partition, status: 'notReady', segments: [] });
      return;
    }
    const ours = tree.branchHashes();
    const differing = ours.map((hash, branch) => (hash === message.branches[branch] ? -1 : branch)).filter((branch) => branch >= 0);
    const segments = differing.flatMap((branch) => tree.segmentsOf(branch));
    this.host.count('aae.segmentsCompared', segments.length);
    const status = differing.length === 0 ? 'same' : 'differ';
    this.host.send(from, { kind: 'aaeExchangeReply', opId, partition, status, segments });
  }

  private onKeys(from: string, message: AaeKeys): void {
    const id = `${from}\u0000${message.opId}`;
    const busy = this.responders.size >= this.settings.responderExchangesMax || !this.settings.enabled;
    if (busy || this.responders.has(id)) {
      this.host.send(from, { kind: 'aaeKeysReply', opId: message.opId, partition: message.partition, status: 'busy', wanted: [] });
      return;
    }
    const responder = new ResponderExchange(this.context, from, message, this.host.nowMs);
    this.responders.set(id, responder);
    responder.start();
  }

  private onRepair(message: Extract<AaeMessage, { kind: 'aaeRepair' }>): void {
    this.host.count('aae.keysReceived', message.objects.length);
    for (const { bucket, key, object } of message.objects) this.host.merge({ partition: message.partition, bucket, key }, object);
  }
}
