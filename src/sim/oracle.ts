/**
 * The oracle: what the checkers know that no node tells. It watches the simulated disks and the
 * coordinators' answers as they happen, and records
 * - every version a coordinator made: the write it belongs to (by the label in its value), its
 *   dot and when it was made — a write retried through another coordinator has two;
 * - at the moment a put was answered as stored, on how many disks its version was, and on how
 *   many of them committed (not only in the node's buffer);
 * - every wipe, and when; every copy a crash took from a node's buffer, and when;
 * - every tombstone a collection round removed from a disk, and when;
 * and it flags at once what is wrong whatever the history says: a dot naming two different
 * values (a reused dot), and a value no client wrote.
 */
import type { CausalContext, Dot, StoredObject } from '../core/version/types.ts';
import type { CrashLoss, DiskWrite, HintChange } from './disk.ts';
import { dotKey, labelOf } from './labels.ts';
import { DotSet, formatDot, modelVersion, type ModelVersion } from './model/index.ts';
import type { Violation } from './checkers/violation.ts';
import { siblingProblems } from './checkers/live-siblings.ts';
import type { SimWorld, WorldObserver } from './world.ts';
import type { Effect, NodeInput } from '../core/effects.ts';
import type { KvNode } from '../core/node.ts';
import { PlacementRecorder } from './placement.ts';
import { ReadRepairRecorder } from './read-repair.ts';
import { HintDeliveryRecorder } from './hint-delivery.ts';

/** One version a coordinator made for a client write. */
export interface WriteVersion {
  readonly label: string;
  readonly bucket: string;
  readonly key: string;
  readonly dot: Dot;
  readonly coordinator: string;
  readonly madeMs: number;
  /** The context the write was sent with (null: none, a blind write): with the dot, the version's history. */
  readonly sentContext: CausalContext | null;
}

export interface Wipe {
  readonly node: string;
  readonly atMs: number;
}

/** Copies of a version when its coordinator answered: all of them, and those committed to disk. */
export interface StoresAtAnswer {
  readonly copies: number;
  readonly durableCopies: number;
}

/**
 * A tombstone that a collection round removed from one node's disk (docs/handoff.md, "Planned:
 * collection rounds behind per-partition epochs"): a `dropIfUnchanged` store op with reason
 * `tombstone` that found the object unchanged and dropped it. One per node per round.
 */
export interface Collection {
  readonly node: string;
  readonly bucket: string;
  readonly key: string;
  /** What the disk held and lost: the tombstone every replica held exactly. */
  readonly object: StoredObject;
  readonly atMs: number;
}

/** A hint its holder forgot once the owner (or, for an owner that left, the key's replicas) acknowledged it. */
export interface HintDelivered {
  readonly holder: string;
  readonly owner: string;
  readonly bucket: string;
  readonly key: string;
  readonly object: StoredObject;
  readonly atMs: number;
}

export class Oracle implements WorldObserver {
  readonly versionsByLabel = new Map<string, WriteVersion[]>();
  /** By dotKey (bucket, key and dot). */
  readonly versionByDot = new Map<string, WriteVersion>();
  readonly wipes: Wipe[] = [];
  /** In the order they reached the disks. */
  readonly collections: Collection[] = [];
  readonly violations: Violation[] = [];
  /** By `node NUL bucket NUL key`: actors whose clock entries a write on that node pruned away. */
  private readonly prunedActors = new Map<string, Set<string>>();
  /** Every hint a holder deleted, in order (checkers/handoff.ts). */
  readonly hintsDelivered: HintDelivered[] = [];
  /** Every hint kept, by holder, for the placement checker: when, for whom. */
  readonly hintsKept: (HintChange & { readonly atMs: number })[] = [];
  /** Labels clients have written, with the key each went to (registered before any node sees them). */
  private readonly issuedLabels = new Map<string, string>();
  /** By identity of the context a coordinator answered with: the version and its disk count then. */
  private readonly answeredContexts = new Map<CausalContext, WriteVersion>();
  private readonly storesAtAnswer = new Map<CausalContext, StoresAtAnswer>();
  /** By key (bucket and key): what crashes took from nodes' buffers, and when. */
  private readonly crashLossesByKey = new Map<string, { readonly loss: CrashLoss; readonly atMs: number }[]>();
  private readonly labelByDot = new Map<string, string>();
  /** By dotKey: every node whose disk has held the sibling (whatever the ring said then). */
  private readonly holdersByDot = new Map<string, Set<string>>();
  /** By dotKey: the reference model's version (model/versions.ts), made when first asked. */
  private readonly modelVersions = new Map<string, ModelVersion>();
  /** Objects already judged (objects are immutable, and one reaches many disks). */
  private readonly judged = new WeakSet<StoredObject>();
  private world: SimWorld | undefined;
  /** Where puts went and why (placement.ts); made when the oracle is attached to its world. */
  placement: PlacementRecorder | undefined;
  /** What gets repaired (read-repair.ts); made when read repair runs. */
  readRepair: ReadRepairRecorder | undefined;
  /** When hints are forgotten (hint-delivery.ts); made when hinted handoff runs. */
  hintDelivery: HintDeliveryRecorder | undefined;

  attach(world: SimWorld): void {
    this.world = world;
    const sloppy = world.config.hintedHandoff !== false;
    const ns = [...new Set([world.config.bucketProps.n, ...[...(world.config.buckets?.values() ?? [])].map((props) => props.n)])];
    this.placement = new PlacementRecorder(sloppy, (bucket) => world.bucketProps(bucket), () => world.clusterState(), ns, world.replicasN);
    for (const node of world.nodeNames) if (world.isUp(node)) this.placement.onBoot(node, world.nowMs);
    if (sloppy) this.hintDelivery = new HintDeliveryRecorder();
    if (world.config.readRepair !== false) {
      this.readRepair = new ReadRepairRecorder((bucket) => world.bucketProps(bucket).n, world.config.requestTimeoutMs);
      for (const node of world.nodeNames) if (world.isUp(node)) this.readRepair.onBoot(node);
    }
  }

  onBoot(node: string): void {
    this.placement?.onBoot(node, this.nowMs);
    this.readRepair?.onBoot(node);
  }

  onCrash(node: string): void {
    this.placement?.onCrash(node);
  }

  onStep(node: string, kv: KvNode, input: NodeInput, effects: readonly Effect[]): void {
    this.placement?.onStep(node, kv, input, effects, this.nowMs);
    this.readRepair?.onStep(node, kv, input, effects, this.nowMs);
    this.hintDelivery?.onStep(node, kv, input, effects, this.nowMs);
  }

  private get nowMs(): number {
    return this.world?.nowMs ?? 0;
  }

  onDiskWrite(write: DiskWrite): void {
    const { effect, outcome, after, before } = write;
    if (effect.op.kind === 'coordinate' && outcome.ok && outcome.written) this.recordVersion(write, outcome.written.dot, outcome.written.context);
    // A drop that reached the disk, even during a crash: the tombstone is gone from this node.
    if (effect.op.kind === 'dropIfUnchanged' && effect.op.reason === 'tombstone' && before !== null && after === null) {
      this.collections.push({ node: write.node, bucket: effect.bucket, key: effect.key, object: before, atMs: this.nowMs });
    }
    if (after === null || after === before) return;
    if (before !== null) this.recordPruning(write.node, effect.bucket, effect.key, before, after);
    for (const sibling of after.siblings) {
      if (before?.siblings.includes(sibling)) continue;
      this.recordHolder(write.node, effect.bucket, effect.key, sibling.dot);
      this.checkSibling(write.node, effect.bucket, effect.key, sibling.dot, labelOf(sibling.value));
    }
    this.judgeObject(write.node, effect.bucket, effect.key, after);
  }

  /**
   * A write whose context lost a clock entry the object had: the coordinator pruned it (Dynamo
   * §4.4, core/version/prune.ts: the oldest entries go once a key has had more than 16 actors,
   * which actor generations reach on a hot key after a few crashes). A context only loses dots
   * that way, and the checkers that ask a context to cover dots excuse those actors' (handoff.ts).
   */
  private recordPruning(node: string, bucket: string, key: string, before: StoredObject, after: StoredObject): void {
    const actors = (object: StoredObject): string[] => [...object.context.clock.map((entry) => entry[0]), ...object.context.dots.map((dot) => dot[0])];
    const kept = new Set(actors(after));
    const lost = actors(before).filter((actor) => !kept.has(actor));
    if (lost.length === 0) return;
    const id = `${node}\u0000${bucket}\u0000${key}`;
    this.prunedActors.set(id, new Set([...(this.prunedActors.get(id) ?? []), ...lost]));
  }

  /** Actors whose entries any node pruned from its object of the key: its contexts spread by merges. */
  prunedActorsOfKey(bucket: string, key: string): ReadonlySet<string> {
    const suffix = `\u0000${bucket}\u0000${key}`;
    return new Set([...this.prunedActors].filter(([id]) => id.endsWith(suffix)).flatMap(([, actors]) => [...actors]));
  }

  /** Actors whose entries `node` pruned from its object of the key (recordPruning). */
  prunedActorsOf(node: string, bucket: string, key: string): ReadonlySet<string> {
    return this.prunedActors.get(`${node}\u0000${bucket}\u0000${key}`) ?? new Set();
  }

  /**
   * Every object that reaches a disk holds exactly the live siblings of its context, by the
   * reference model (checkers/live-siblings.ts): a bad merge is reported where and when it
   * happened. An object is judged once, however many disks it reaches.
   */
  private judgeObject(node: string, bucket: string, key: string, object: StoredObject): void {
    if (this.judged.has(object)) return;
    this.judged.add(object);
    const name = (dot: Dot): string => `${this.versionByDot.get(dotKey(bucket, key, dot))?.label ?? '?'} ${formatDot(dot)}`;
    const dots = object.siblings.map((sibling) => sibling.dot);
    for (const problem of siblingProblems((dot) => this.modelVersion(bucket, key, dot), dots, object.context, () => this.prunedActorsOfKey(bucket, key))) {
      this.flag(problem.checker, `${node} stored for ${bucket}/${key} ${problem.message(name)}`, key);
    }
  }

  onStoredAnswer(_node: string, context: CausalContext): void {
    if (this.storesAtAnswer.has(context)) return; // the forwarding node passing the answer on
    const version = this.answeredContexts.get(context);
    if (version === undefined) {
      this.flag('quorum', `a coordinator answered "stored" with a context no coordinate op produced`, undefined);
      return;
    }
    this.storesAtAnswer.set(context, { copies: this.copiesOf(version, false), durableCopies: this.copiesOf(version, true) });
  }

  onHintChange(change: HintChange): void {
    if (change.kind === 'deleted') this.hintsDelivered.push({ holder: change.node, owner: change.owner, bucket: change.bucket, key: change.key, object: change.object, atMs: this.nowMs });
    else this.hintsKept.push({ ...change, atMs: this.nowMs });
  }

  onCrashLoss(loss: CrashLoss): void {
    const id = `${loss.bucket}\u0000${loss.key}`;
    const losses = this.crashLossesByKey.get(id) ?? [];
    losses.push({ loss, atMs: this.nowMs });
    this.crashLossesByKey.set(id, losses);
  }

  /** A client is about to write `label` to bucket/key. */
  issue(label: string, bucket: string, key: string): void {
    this.issuedLabels.set(label, `${bucket}/${key}`);
  }

  onWipe(node: string): void {
    this.wipes.push({ node, atMs: this.nowMs });
  }

  /** For an acknowledged put: how many disks held its version when its coordinator answered. */
  storesWhenAnswered(context: CausalContext): StoresAtAnswer | undefined {
    return this.storesAtAnswer.get(context);
  }

  /** The version an answer's context names. */
  versionAnswered(context: CausalContext): WriteVersion | undefined {
    return this.answeredContexts.get(context);
  }

  /** The tombstones collected of one key, in the order they were dropped. */
  collectionsOf(bucket: string, key: string): Collection[] {
    return this.collections.filter((collection) => collection.bucket === bucket && collection.key === key);
  }

  /** The reference model's version of a dot of bucket/key: its dot and causal history (undefined: no coordinator made it). */
  modelVersion(bucket: string, key: string, dot: Dot): ModelVersion | undefined {
    const id = dotKey(bucket, key, dot);
    let version = this.modelVersions.get(id);
    if (version === undefined) {
      const made = this.versionByDot.get(id);
      if (made === undefined) return undefined;
      version = modelVersion(made.dot, made.sentContext === null ? DotSet.empty : DotSet.fromEncoded(made.sentContext));
      this.modelVersions.set(id, version);
    }
    return version;
  }

  /** Nodes whose disk has held the sibling with this dot at some point. */
  holdersOf(bucket: string, key: string, dot: Dot): ReadonlySet<string> {
    return this.holdersByDot.get(dotKey(bucket, key, dot)) ?? new Set();
  }

  private recordHolder(node: string, bucket: string, key: string, dot: Dot): void {
    const id = dotKey(bucket, key, dot);
    let holders = this.holdersByDot.get(id);
    if (holders === undefined) this.holdersByDot.set(id, (holders = new Set()));
    holders.add(node);
  }

  /** Distinct nodes wiped at or after `sinceMs`, among `nodes`. */
  wipedSince(nodes: readonly string[], sinceMs: number): number {
    return this.nodesWipedSince(nodes, sinceMs).size;
  }

  private nodesWipedSince(nodes: readonly string[], sinceMs: number): Set<string> {
    return new Set(this.wipes.filter((wipe) => wipe.atMs >= sinceMs && nodes.includes(wipe.node)).map((wipe) => wipe.node));
  }

  /**
   * Distinct nodes among `nodes` that lost their copy of the version with `dot` at or after
   * `sinceMs`: by a wipe, or by a crash before their buffer committed it (Dynamo §6.1).
   */
  lostSince(nodes: readonly string[], bucket: string, key: string, dot: Dot, sinceMs: number): Set<string> {
    const lost = this.nodesWipedSince(nodes, sinceMs);
    const covered = (objects: readonly StoredObject[]): boolean => objects.some((object) => DotSet.fromEncoded(object.context).has(dot));
    for (const { loss, atMs } of this.crashLossesByKey.get(`${bucket}\u0000${key}`) ?? []) {
      if (atMs >= sinceMs && nodes.includes(loss.node) && covered(loss.visible) && !covered(loss.durable)) lost.add(loss.node);
    }
    return lost;
  }

  /**
   * Disks whose object or hints cover the version's dot now — committed to disk, if `durable` —
   * plus disks that lost it since it was made (a copy there was real, only lost since: a wipe,
   * or, for a copy in the buffer, a crash).
   */
  private copiesOf(version: WriteVersion, durable: boolean): number {
    const world = this.world!;
    const { bucket, key, dot, madeMs } = version;
    const partition = world.partitionOf(bucket, key);
    let copies = 0;
    for (const node of world.nodeNames) {
      const disk = world.disk(node);
      const object = durable ? disk.durableGet(partition, bucket, key) : disk.get(partition, bucket, key);
      const owned = object !== null && DotSet.fromEncoded(object.context).has(dot);
      // A fallback's hint is a real copy too (sloppy quorum, Dynamo §4.6): it counts toward W. So
      // does a copy a collection has since dropped, superseded by the tombstone it collected.
      const collected = this.collections.some((collection) => collection.node === node && collection.bucket === bucket && collection.key === key && DotSet.fromEncoded(collection.object.context).has(dot));
      const lost = durable ? this.wipedSince([node], madeMs) > 0 : this.lostSince([node], bucket, key, dot, madeMs).size > 0;
      if (owned || collected || disk.hintCovers(partition, bucket, key, dot, durable) || lost) copies++;
    }
    return copies;
  }

  private recordVersion(write: DiskWrite, dot: Dot, context: CausalContext): void {
    const { effect } = write;
    if (effect.op.kind !== 'coordinate') return;
    const label = labelOf(effect.op.intent.value);
    const version: WriteVersion = { label, bucket: effect.bucket, key: effect.key, dot, coordinator: write.node, madeMs: this.nowMs, sentContext: effect.op.intent.context };
    const versions = this.versionsByLabel.get(label) ?? [];
    versions.push(version);
    this.versionsByLabel.set(label, versions);
    this.versionByDot.set(dotKey(effect.bucket, effect.key, dot), version);
    this.answeredContexts.set(context, version);
  }

  private checkSibling(node: string, bucket: string, key: string, dot: Dot, label: string): void {
    const id = dotKey(bucket, key, dot);
    const known = this.labelByDot.get(id);
    if (known === undefined) this.labelByDot.set(id, label);
    else if (known !== label) {
      this.flag('dots', `dot ${formatDot(dot)} of ${bucket}/${key} names two different writes, ${known} and ${label} (seen on ${node}): one of them is lost wherever both meet`, key);
    }
    const issuedFor = this.issuedLabels.get(label);
    if (issuedFor === undefined) this.flag('phantoms', `${node} stored value ${JSON.stringify(label)} for ${bucket}/${key}, which no client wrote`, key);
    else if (issuedFor !== `${bucket}/${key}`) this.flag('phantoms', `${node} stored ${label} for ${bucket}/${key}, but it was written to ${issuedFor}`, key);
  }

  private flag(checker: string, message: string, key: string | undefined): void {
    if (this.violations.length < 20) this.violations.push({ checker, message: `at ${this.nowMs} ms ${message}`, key, entryIds: [] });
  }
}
