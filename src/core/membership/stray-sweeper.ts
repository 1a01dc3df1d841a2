/**
 * Handing off, then dropping, the data a node no longer replicates (Dynamo §4.9: once the new
 * owner has the keys, "the nodes … remove" them). After a change ends, a node still holds the
 * partitions it gave up: a leaver all of its own, an old owner what moved away, an aborted
 * joiner what reached it before the abort, and any node the writes of a coordinator with an
 * older view reached. Keeping them costs disk and leaves copies nobody repairs.
 *
 * A sweep pass visits every partition the node is not a replica of, in chunks: it sends each
 * chunk's entries to every replica of their keys (a transfer chunk, which a replica merges
 * idempotently and acknowledges once stored), and only when all of them acknowledged does it
 * drop each entry — and only if the stored object is still the one it sent (`dropIfUnchanged`).
 * So a copy is dropped only once every replica holds it or something that descends from it;
 * this also closes the gap of a write passed on during a transition whose delivery failed.
 * A failure (a replica down, a chunk refused, no answer in time) skips the rest of that
 * partition until the next pass, with nothing more of it dropped. (The failure detector is not
 * consulted: a node that left the ring pings nobody, and its verdicts could keep its copies
 * forever.) Before a drop the node may move to a new actor generation, which the drop carries
 * to disk (replica/actor-generation.ts): a dropped copy must never let it reuse a dot.
 *
 * Passes run after every change of the view that ends a transition, and every
 * `straySweepIntervalMs` after that (a pass over partitions with nothing in them is one seek
 * each). None runs during a transition: its transfers read the old owners' copies; a view
 * change stops a pass before its next drop; while drops of a partition are in flight, chunks
 * for it are refused (Membership), or a drop could delete what such a chunk merged.
 */
import type { TransferAck, TransferEntry } from '../messages.ts';
import { preferenceList } from '../ring/ring.ts';
import type { MembershipHost, ScanResult } from './host.ts';
import { inTransition, servingRing, type ClusterView } from './view.ts';
import { compareCommits } from './view-merge.ts';

/**
 * How often a node looks again for data it no longer replicates. A pass that finds nothing costs
 * a seek per partition the node does not replicate, so this can be short: strays that writes of
 * an older view leave behind are handed off within about this long.
 */
export const straySweepIntervalMs = 1_000;
/**
 * A handed-off chunk not acknowledged by every replica within this skips its partition until the
 * next pass. Shorter than a transfer's: nothing waits on a sweep, and an ack lost for good (a
 * replica whose view does not list this node yet cannot answer it) should not hold it up long.
 */
export const strayChunkAckTimeoutMs = 2_000;

interface Pass {
  /** The view the pass runs under (a view, not a version: an abort and its finalization share one). */
  readonly view: ClusterView;
  /** Partitions where some bucket's preference list does not name this node (stray-sweeper.ts `partitionsNotReplicated`). */
  readonly partitions: readonly number[];
  index: number;
  /** The last key handled in the current partition; the next scan starts after it. */
  cursor: { bucket: string; key: string } | null;
  state: 'scanning' | 'sending' | 'dropping';
  /** Chunks sent and not yet acknowledged, by op id. */
  readonly unacked: Set<number>;
  deadlineMs: number;
  /** The chunk in flight: what to drop once every replica acknowledged it, and how to go on. */
  handingOff: { readonly partition: number; readonly strays: readonly TransferEntry[]; readonly chunksAcceptedAtScan: number; readonly next: () => void } | null;
}

export class StraySweeper {
  private pass: Pass | null = null;
  /** Drops issued and not yet done, by partition: chunks for these partitions are refused meanwhile. */
  private readonly dropsInFlight = new Map<number, number>();
  /** Chunks this node accepted, by partition (Membership tells): a chunk since a scan vetoes its drops. */
  private readonly chunksAccepted = new Map<number, number>();
  /** The partitions the last view's ring does not give this node (a pass a second reuses them). */
  private notReplicated: { readonly view: ClusterView; readonly partitions: readonly number[] } | null = null;
  /** The view the last pass ran under, and when the next may start. */
  private swept: ClusterView | null = null;
  private nextPassMs = 0;

  constructor(
    private readonly host: MembershipHost,
    /**
     * The smallest N of any bucket. A node that is the i-th (from 0) of a partition's walk with
     * i ≥ this replicates only the keys of buckets with N > i there (none past the largest N):
     * the rest are strays.
     */
    private readonly replicasNMin: number,
    /** This node's address, sent along: a replica may not know it (the node left, or never joined). */
    private readonly selfAddress: string,
  ) {}

  onTick(view: ClusterView): void {
    // A placeholder view (version 0) knows no replicas; a transition needs every old copy.
    if (view.version === 0 || inTransition(view)) {
      this.pass = null;
      return;
    }
    if (this.pass !== null && !sameCommit(this.pass.view, view)) this.pass = null; // the ring moved: start over
    if (this.pass === null) {
      if (this.swept === null || !sameCommit(this.swept, view) || this.host.nowMs >= this.nextPassMs) this.startPass(view);
      return;
    }
    if (this.pass.state === 'sending' && this.host.nowMs >= this.pass.deadlineMs) this.skipPartition(this.pass);
  }

  /** The view changed: a pass made under another one drops nothing more. */
  onViewChanged(view: ClusterView): void {
    if (this.pass !== null && (!sameCommit(this.pass.view, view) || inTransition(view))) this.pass = null;
  }

  /**
   * Whether a chunk (a transfer or another node's sweep) for `partition` must be refused for now:
   * a drop in flight could delete what it merges, after this node acknowledged it as stored.
   */
  isDropping(partition: number): boolean {
    return this.dropsInFlight.has(partition);
  }

  /**
   * A chunk for `partition` was accepted here. If it came after the scan of the chunk this node is
   * handing off, that chunk's drops are skipped: what the chunk merged may equal the scanned copy,
   * and dropping it would delete a key this node has just acknowledged as stored.
   */
  onChunkAccepted(partition: number): void {
    this.chunksAccepted.set(partition, (this.chunksAccepted.get(partition) ?? 0) + 1);
  }

  onAck(message: TransferAck): void {
    const pass = this.pass;
    if (pass === null || pass.state !== 'sending' || !pass.unacked.delete(message.opId)) return;
    if (message.error !== undefined) return this.skipPartition(pass);
    if (pass.unacked.size === 0) this.dropHandedOff(pass);
  }

  onDeliveryFailed(opId: number): void {
    if (this.pass?.unacked.has(opId)) this.skipPartition(this.pass);
  }

  private startPass(view: ClusterView): void {
    const partitions = this.partitionsNotReplicated(view);
    this.swept = view;
    this.nextPassMs = this.host.nowMs + straySweepIntervalMs;
    if (partitions.length === 0) return;
    this.host.count('strays.passes');
    this.pass = { view, partitions, index: 0, cursor: null, state: 'scanning', unacked: new Set(), deadlineMs: 0, handingOff: null };
    this.scanNext(this.pass);
  }

  /**
   * Partitions where the preference list of some bucket does not name this node — it is not
   * within the first `replicasNMin` of the partition's walk — kept per view. With every bucket of
   * one N these are the partitions it does not replicate at all, whose every key is a stray; with
   * buckets of different N, also those where only the larger buckets' keys are its own, and the
   * pass reads them whole to find the others' (handOff keeps what it replicates).
   */
  private partitionsNotReplicated(view: ClusterView): readonly number[] {
    if (this.notReplicated !== null && sameCommit(this.notReplicated.view, view)) return this.notReplicated.partitions;
    const ring = servingRing(view);
    const partitions: number[] = [];
    for (let partition = 0; partition < ring.partitionCount; partition++) {
      if (!preferenceList(ring, partition, this.replicasNMin).includes(this.host.self)) partitions.push(partition);
    }
    this.notReplicated = { view, partitions };
    return partitions;
  }

  private scanNext(pass: Pass): void {
    pass.state = 'scanning';
    const partition = pass.partitions[pass.index]!;
    const chunksAcceptedAtScan = this.chunksAccepted.get(partition) ?? 0;
    this.host.scan(partition, pass.cursor, (result) => {
      if (this.pass !== pass) return; // ended meanwhile
      this.handOff(pass, partition, result, chunksAcceptedAtScan);
    });
  }

  /** Sends the chunk's strays to every replica of their keys; the rest of the chunk stays. */
  private handOff(pass: Pass, partition: number, { entries, exhausted, stamp }: ScanResult, chunksAcceptedAtScan: number): void {
    const self = this.host.self;
    const byReplica = new Map<string, TransferEntry[]>();
    const strays: TransferEntry[] = [];
    for (const entry of entries) {
      const replicas = this.host.replicasOf(partition, entry.bucket);
      if (replicas.includes(self)) continue;
      strays.push(entry);
      for (const replica of replicas) {
        const chunk = byReplica.get(replica);
        if (chunk === undefined) byReplica.set(replica, [entry]);
        else chunk.push(entry);
      }
    }
    const last = entries.at(-1);
    const next = (): void => this.advance(pass, last === undefined ? pass.cursor : { bucket: last.bucket, key: last.key }, exhausted);
    if (strays.length === 0) return next();
    pass.handingOff = { partition, strays, chunksAcceptedAtScan, next };
    if (this.host.abandoned(partition)) {
      this.host.count('strays.keysAbandoned', strays.length);
      return this.dropHandedOff(pass);
    }
    pass.state = 'sending';
    pass.deadlineMs = this.host.nowMs + strayChunkAckTimeoutMs;
    for (const [replica, chunkEntries] of byReplica) {
      const opId = this.host.nextOpId();
      pass.unacked.add(opId);
      this.host.send(replica, { kind: 'transferChunk', opId, version: pass.view.version, partition, entries: chunkEntries, last: false, senderAddress: this.selfAddress, stamp });
    }
  }

  private dropHandedOff(pass: Pass): void {
    const drop = pass.handingOff!;
    pass.handingOff = null;
    if ((this.chunksAccepted.get(drop.partition) ?? 0) !== drop.chunksAcceptedAtScan) return this.skipPartition(pass);
    pass.state = 'dropping';
    if (!this.host.abandoned(drop.partition)) this.host.count('strays.keysHandedOff', drop.strays.length);
    let pending = drop.strays.length;
    this.dropsInFlight.set(drop.partition, (this.dropsInFlight.get(drop.partition) ?? 0) + pending);
    for (const entry of drop.strays) {
      const target = { partition: drop.partition, bucket: entry.bucket, key: entry.key };
      this.host.beforeDrop(entry.object);
      this.host.store(target, { kind: 'dropIfUnchanged', object: entry.object, reason: 'stray' }, (outcome) => {
        if (outcome.ok && outcome.object === null) this.host.count('strays.keysDropped');
        const left = this.dropsInFlight.get(drop.partition)! - 1;
        if (left === 0) this.dropsInFlight.delete(drop.partition);
        else this.dropsInFlight.set(drop.partition, left);
        if (--pending === 0 && this.pass === pass) drop.next();
      });
    }
  }

  private advance(pass: Pass, cursor: { bucket: string; key: string } | null, exhausted: boolean): void {
    if (!exhausted) {
      pass.cursor = cursor;
      return this.scanNext(pass);
    }
    pass.index++;
    pass.cursor = null;
    if (pass.index < pass.partitions.length) return this.scanNext(pass);
    this.pass = null;
  }

  /**
   * A replica did not take a chunk: nothing of it is dropped, and the pass goes on with the next
   * partition (this one waits for the next pass), so one dead replica cannot hold up the others.
   */
  private skipPartition(pass: Pass): void {
    this.host.count('strays.partitionsSkipped');
    pass.unacked.clear();
    pass.handingOff = null;
    this.advance(pass, null, true);
  }
}

/** Whether two views are the same commit (their completed transfers aside). */
function sameCommit(a: ClusterView, b: ClusterView): boolean {
  return a === b || compareCommits(a, b) === 0;
}
