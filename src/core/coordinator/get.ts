/**
 * Coordinating a get (Dynamo §5, §4.5): of the first N reachable nodes of the key's extended
 * preference list (sloppy quorum, Dynamo §4.6: a fallback answers with what it holds as hints for
 * the key too), ask R — this node first when it is a primary, `pr` of them primaries — and
 * answer once they have replied, with the reconciliation of what they sent. A node that fails is
 * replaced by the next of the N; one later than replies to gets usually are here (`onLate`,
 * reply-time.ts) gets the next of the N asked beside it (a stand-in once all N were asked); one
 * silent for `silentTargetWaitMs` gets a stand-in, the next reachable node of the list
 * (`onSilence`). Then keep listening until
 * every node asked has answered or the deadline passes, and send the reconciled version to every
 * primary that was behind (read repair, Dynamo §5).
 *
 * Dynamo asks all N and waits for R; asking R first is Cassandra's choice (with its speculative
 * retry). While the N are reachable, any R of them meet any W of them (R + W > N), so a get sees
 * every write a strict quorum acknowledged — a late node's companion comes from the N for that
 * reason, and only a silent one's stand-in from beyond. What it gives up is read repair of the
 * replicas it did not ask, which anti-entropy repairs instead (Dynamo §4.7); what it saves is
 * half of a get's messages when the coordinator is a replica (two instead of four), and the
 * reading, encoding and reconciling of a copy nobody waits for (docs/benchmarks.md).
 * A node whose reply was read before a tombstone round's fence that this node has passed is asked
 * again once told the epoch, up to `fencedReadAsksMax` times (below, `onReadBeforeFence`).
 * A coordinator need not be a replica itself, so gets are never forwarded.
 */
import type { Requester } from '../effects.ts';
import type { PeerMessage } from '../messages.ts';
import type { StoreOutcome } from '../replica/store-op.ts';
import { pruneForClient } from '../version/prune.ts';
import type { Resolution, StoredObject } from '../version/types.ts';
import type { Operation, OperationHost, StoreTarget } from './operation.ts';
import { GetTally } from './get-tally.ts';
import type { ReplyTimeEstimate } from './reply-time.ts';
import { sloppyTargetNodes } from './sloppy-targets.ts';

/**
 * How many times one node is asked again after replies read before a fence (`onReadBeforeFence`):
 * one round's fence, one more round meanwhile, and a duplicated stale reply or two.
 */
export const fencedReadAsksMax = 4;

/** What `covered` stands for until a node is first covered: most gets never cover one. */
const noNodes: ReadonlySet<string> = new Set();

export interface GetPlan {
  readonly opId: number;
  readonly deadlineMs: number;
  readonly requester: Requester;
  readonly target: StoreTarget;
  /** The key's extended preference list: its first n are the primaries, the rest fallbacks. */
  readonly extended: readonly string[];
  readonly n: number;
  readonly r: number;
  /** Replies that must come from primaries (0: any node of the sloppy quorum counts). */
  readonly pr: number;
  readonly resolution: Resolution;
  /** Write the reconciled version back to stale primaries (Dynamo §5); off only to test the other repair paths. */
  readonly readRepair: boolean;
  /** This node's estimate of replicas' reply times, which the get's replies feed. */
  readonly replyTimes: ReplyTimeEstimate;
}

export class GetOperation implements Operation {
  done = false;
  private answered = false;
  /** The replies counted so far (get-tally.ts): all the counting, none of the messages. */
  private readonly tally: GetTally;
  /** Nodes that failed or went silent and were given a stand-in: never replaced twice (made on the first). */
  private replaced: Set<string> | undefined;
  /** The epoch when this node's own read was issued. */
  private selfStamp = 0;
  /** Nodes asked again after a reply read before a fence: how many times (made on the first; most gets never need it). */
  private askedAgain: Map<string, number> | undefined;
  /** Of the first N reachable nodes, those not asked yet, in the order to ask them when replies are short. */
  private unasked: string[] = [];
  /**
   * Nodes still pending that another was asked beside or in place of (late, silent): the count of
   * what may still reply no longer counts on them, so a failure of that other asks one more.
   * Made on the first.
   */
  private covered: Set<string> | undefined;
  /** The remote node asked when the get started whose reply time feeds the estimate (one per get), and when. */
  private timed: string | undefined;
  private startedMs = 0;

  constructor(private readonly plan: GetPlan) {
    this.tally = new GetTally(plan.r, plan.pr, (node) => this.isPrimary(node), plan.resolution);
  }

  get opId(): number {
    return this.plan.opId;
  }

  get deadlineMs(): number {
    return this.plan.deadlineMs;
  }

  start(host: OperationHost): void {
    const { extended, n } = this.plan;
    const targets = sloppyTargetNodes(extended, n, host.isReachable);
    // Its own copy first, if it is a primary: a read of its own store costs no message. (A
    // fallback's stays in list order, after the primaries: it holds only hints for the key.)
    const selfAt = targets.indexOf(host.self);
    if (selfAt > 0 && this.isPrimary(host.self)) targets.unshift(...targets.splice(selfAt, 1));
    this.unasked = targets;
    this.startedMs = host.nowMs;
    this.askEnough(host);
    this.timed = this.plan.extended.find((node) => node !== host.self && this.tally.wasAsked(node));
  }

  /**
   * Asks nodes not asked yet, in order (a primary first when primaries are short), until the
   * nodes asked would make R replies, `pr` of them primaries, if every one still pending replied.
   */
  private askEnough(host: OperationHost): void {
    for (;;) {
      const { nodes, primaries } = this.tally.shortfall(this.covered ?? noNodes);
      if (nodes === 0 && primaries === 0) return;
      const next = this.nextUnasked(primaries > 0);
      if (next === undefined) return;
      this.ask(host, next);
    }
  }

  /** The next of the N not asked yet: the next primary when `primaryFirst` and one is left. */
  private nextUnasked(primaryFirst: boolean): string | undefined {
    return (primaryFirst ? this.unasked.find((node) => this.isPrimary(node)) : undefined) ?? this.unasked[0];
  }

  onStored(host: OperationHost, outcome: StoreOutcome): void {
    // Its own disk too: a node that does not know the epochs may hold a version collected since.
    if (!outcome.ok) this.onFailure(host, host.self);
    else if (host.refuses(host.self, this.plan.target.partition, this.selfStamp)) this.onReadBeforeFence(host, host.self);
    else this.onReply(host, host.self, outcome.object, this.selfStamp);
  }

  onPeerMessage(host: OperationHost, from: string, message: PeerMessage): void {
    if (message.kind !== 'replicaReadReply' || !this.tally.isPending(from)) return;
    if (from === this.timed) {
      this.timed = undefined;
      // An error comes back fast whatever the load: it says nothing of how long a read takes.
      if (!message.error) this.plan.replyTimes.observe(host.nowMs - this.startedMs);
    }
    if (message.error) this.onFailure(host, from);
    else if (host.refuses(from, this.plan.target.partition, message.stamp)) this.onReadBeforeFence(host, from);
    else this.onReply(host, from, message.object, message.stamp);
  }

  /**
   * A reply read before a collection round fenced the partition may hold a version whose
   * tombstone is gone: it is neither answered nor repaired back (tombstones/epochs.ts). But its
   * node is most likely just behind this one in a round — the collector fences its own disk
   * before the others hear of it, and every replica is fenced at its own moment — so it is asked
   * again: refusing told it this node's epoch (`refuses`), that message reaches it before the new
   * read (one ordered connection), and an active member takes it (epoch-sync.ts) and reads after
   * the fence. The read carries this node's epoch, and a replica still behind it waits a moment
   * for its own fence (tombstones/fence-waits.ts): in the network's order the read may overtake
   * the epoch, and a round may fence the partition again meanwhile. So it is asked again up to
   * `fencedReadAsksMax` times (a duplicated stale reply costs one); a node still answering from
   * before (not an active member, so it takes no peer's epoch) then failed. Without this, a get
   * coordinated by a collector failed R while every replica was up (the simulator's availability
   * checker, about one seed in six of the default run).
   */
  private onReadBeforeFence(host: OperationHost, from: string): void {
    this.askedAgain ??= new Map();
    const asked = this.askedAgain.get(from) ?? 0;
    if (asked >= fencedReadAsksMax) return this.onFailure(host, from);
    this.askedAgain.set(from, asked + 1);
    host.count('fencedReadRetries');
    this.ask(host, from);
  }

  onDeliveryFailed(host: OperationHost, to: string): void {
    if (!this.tally.isPending(to)) return;
    // Unreachable after all: ask the next reachable node in its place.
    this.replace(host, to);
    this.onFailure(host, to);
  }

  /**
   * The nodes asked are later than replies usually are (reply-time.ts): one more of the N is asked
   * beside the first still pending — one, not one per late node, so that a load that slows every
   * reply adds at most one read per get. With all N asked (R = N), the late node gets the stand-in
   * its silence would give it at `silentTargetWaitMs`, now: a get at R = N otherwise waited that
   * long on a replica whose host had just gone (the simulator's availability checker, seed 412
   * of --converge-by handoff: a flapping node). Its answer still counts if it comes.
   */
  onLate(host: OperationHost): void {
    if (this.answered) return;
    const late = this.tally.pending().find((node) => this.covered?.has(node) !== true);
    if (late === undefined) return;
    if (this.unasked.length === 0) {
      if (this.replace(host, late)) host.count('lateReadAsks'); // covers it if a stand-in was found
      return;
    }
    (this.covered ??= new Set()).add(late);
    host.count('lateReadAsks');
    this.ask(host, this.nextUnasked(this.tally.shortfall(this.covered ?? noNodes).primaries > 0)!);
  }

  /** Nodes still silent get a stand-in each; their own answers still count if they come. */
  onSilence(host: OperationHost): void {
    if (this.answered) return;
    for (const node of this.tally.pending()) {
      if (this.replace(host, node)) host.count('silentTargetFallbacks');
    }
  }

  onDeadline(host: OperationHost): void {
    this.finish(host);
  }

  private isPrimary(node: string): boolean {
    const index = this.plan.extended.indexOf(node);
    return index >= 0 && index < this.plan.n;
  }

  private ask(host: OperationHost, node: string): void {
    const { opId, target, resolution } = this.plan;
    this.tally.ask(node);
    const unaskedAt = this.unasked.indexOf(node);
    if (unaskedAt >= 0) this.unasked.splice(unaskedAt, 1);
    const primary = this.isPrimary(node);
    if (node === host.self) {
      this.selfStamp = host.epochOf(target.partition);
      if (primary) host.store(this, target, { kind: 'read' });
      else host.readWithHints(this, target, resolution);
    } else {
      // With this node's epoch: a replica behind it waits a moment for the fence (tombstones/fence-waits.ts).
      host.send(node, { kind: 'replicaRead', opId, ...target, epoch: host.epochOf(target.partition), ...(primary ? {} : { withHints: true }) });
    }
  }

  /** Asks the next reachable node not yet asked in place of `node`, once per node; false if none. */
  private replace(host: OperationHost, node: string): boolean {
    if (this.replaced?.has(node) === true) return false;
    (this.replaced ??= new Set()).add(node);
    const fallback = this.plan.extended.find((candidate) => !this.tally.wasAsked(candidate) && host.isReachable(candidate));
    if (fallback === undefined) return false; // still counted on: nobody stands in for it
    (this.covered ??= new Set()).add(node);
    this.ask(host, fallback);
    return true;
  }

  private onReply(host: OperationHost, from: string, object: StoredObject | null, stamp: number): void {
    const counted = this.tally.reply(from, object, stamp);
    if (counted === undefined) return;
    if (counted.truncated > 0) host.count('siblingsTruncated', counted.truncated);
    if (!this.answered && this.tally.enough) {
      this.answered = true;
      const merged = this.tally.object;
      host.answer(this.plan.requester, { kind: 'got', object: merged && this.forClient(host, merged) });
    }
    if (this.tally.finished) this.finish(host);
  }

  /** What the client sees: the reconciled siblings with a context its next put may carry back. */
  private forClient(host: OperationHost, merged: StoredObject): StoredObject {
    const { context, prunedEntries } = pruneForClient(merged);
    if (prunedEntries === 0) return merged;
    host.count('clockEntriesPruned', prunedEntries);
    return { siblings: merged.siblings, context };
  }

  private onFailure(host: OperationHost, from: string): void {
    this.tally.fail(from);
    if (!this.answered) this.askEnough(host);
    if (this.tally.finished) this.finish(host);
  }

  /**
   * Once every node asked has answered or failed (or at the deadline): a quorum still missing is
   * reported with the full count of replies (not the count at the moment it became unreachable),
   * then stale primaries are repaired.
   */
  private finish(host: OperationHost): void {
    if (this.done) return;
    this.done = true;
    if (!this.answered) {
      this.answered = true;
      host.answer(this.plan.requester, { kind: 'error', ...this.tally.quorumError().toJSON() });
    }
    this.repairStaleReplicas(host);
  }

  /**
   * Read repair (Dynamo §5): every primary that answered with less than the reconciled version gets
   * it — unless a round fenced the partition here after some of the replies were read. Then the
   * reconciled version may hold a tombstone that round collected, and a replica behind the fence
   * would take it back (one at the fence refuses it anyway); the next read or exchange repairs.
   */
  private repairStaleReplicas(host: OperationHost): void {
    const merged = this.tally.object;
    if (!merged || !this.plan.readRepair) return;
    const { opId, target, resolution } = this.plan;
    if (host.epochOf(target.partition) > this.tally.stamp) return;
    for (const replica of this.tally.staleReplicas()) {
      host.count('readRepairs');
      if (replica === host.self) {
        // This node's own disk is fenced like any other (tombstones/epochs.ts: a partition given
        // up takes nothing), and does not take back a tombstone a round removed here, read on a
        // replica before that one's removal (tombstones/collected.ts).
        if (!host.refuses(host.self, target.partition, this.tally.stamp) && !host.wasCollected(target, merged)) host.store(null, target, { kind: 'merge', object: merged, resolution });
      } else {
        // A repair lost to a crash is made again by the next read or exchange: no fsync for it.
        host.send(replica, { kind: 'replicaWrite', opId, ...target, object: merged, stamp: this.tally.stamp, durable: false });
      }
    }
  }
}
