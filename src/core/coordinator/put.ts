/**
 * Coordinating a put or delete (Dynamo §5, §6): the coordinator makes the new version in its own
 * store first (its dot names the write), then sends that version to the other targets — while its
 * own copy goes to disk, never after — and answers after W stores, itself included. When a copy
 * counts depends on the bucket's durability (Dynamo §6.1, limits.ts `Durability`): once on disk
 * (`sync`: every copy; `one`: the coordinator's, which must be among the W), or once in the
 * node's object buffer. The targets are the first N reachable nodes of the key's
 * extended preference list (sloppy quorum, Dynamo §4.6): a fallback standing in for an
 * unreachable primary keeps the version as a hint for it, and counts toward W. A target whose
 * delivery fails, that refuses the write, or that stays silent for `silentTargetWaitMs`, is
 * replaced by the next reachable node of the list (a refusal because a tombstone round fenced
 * the partition is answered by sending the copy again, read after the fence, as often as rounds
 * fence it). `pw` of the W must
 * be primaries (like Riak's pw). Targets that fail or do not answer in time count against W; the
 * answer names how many stored. The counting itself is put-tally.ts.
 */
import { assert } from '../assert.ts';
import { KvorumError } from '../errors.ts';
import type { Requester } from '../effects.ts';
import type { PeerMessage } from '../messages.ts';
import type { StoreOutcome } from '../replica/store-op.ts';
import type { Durability } from '../limits.ts';
import { covers } from '../version/causal-context.ts';
import type { Resolution, StoredObject, WriteIntent } from '../version/types.ts';
import type { Operation, OperationHost, StoreTarget } from './operation.ts';
import { PutTally } from './put-tally.ts';
import { nextFallback, sloppyTargets } from './sloppy-targets.ts';
import { strictTargets } from './strict-targets.ts';

export interface PutPlan {
  readonly opId: number;
  readonly deadlineMs: number;
  readonly requester: Requester;
  readonly target: StoreTarget;
  /** The key's extended preference list: its first n are the primaries, the rest fallbacks. */
  readonly extended: readonly string[];
  readonly n: number;
  readonly w: number;
  /** Stores that must come from primaries (0: any node of the sloppy quorum counts). */
  readonly pw: number;
  readonly intent: WriteIntent;
  readonly resolution: Resolution;
  readonly durability: Durability;
  /**
   * Sloppy quorum (Dynamo §4.6): a target that fails or stays silent gets a stand-in that keeps a
   * hint. False: a strict quorum — `extended` is the primaries alone, and nobody stands in.
   */
  readonly sloppy: boolean;
}

export class PutOperation implements Operation {
  done = false;
  private answered = false;
  /** The copies counted toward W so far (put-tally.ts): all the counting, none of the messages. */
  private readonly tally: PutTally;
  private readonly used = new Set<string>();
  /** The partition's epoch when the coordinating read-and-write was issued (tombstones/epochs.ts). */
  private stamp = 0;
  /** Targets that failed or went silent and were given a stand-in: never replaced twice (made on the first). */
  private replaced: Set<string> | undefined;
  /**
   * Owners a fallback asked (and not failed) keeps the version for. None of them may be a stand-in
   * itself: handoff would merge that fallback's hint into the owner's copy, and two of the W
   * stores counted would end on one disk (the simulator's quorum checker caught it, seed 1435).
   * Made on the first.
   */
  private hintOwners: Set<string> | undefined;
  private outcome: Extract<StoreOutcome, { ok: true }> | undefined;
  private object: StoredObject | undefined;
  /**
   * Targets that refused the version as read before a tombstone round's fence, with the epoch its
   * next sending waits for (then the epoch it was read at): each is sent it again after each new
   * fence. A refusal naming no later epoch is a duplicate (or a late copy) of an earlier one, not
   * an answer to the last sending. Made on the first.
   */
  private fenced: Map<string, number> | undefined;
  /** Targets waiting for a re-read of this node's copy, in the order the reads were issued (store ops answer in order). */
  private readonly rereads: { readonly node: string; readonly stamp: number }[] = [];

  constructor(private readonly plan: PutPlan) {
    this.tally = new PutTally(plan.w, plan.pw, plan.durability);
  }

  get opId(): number {
    return this.plan.opId;
  }

  get deadlineMs(): number {
    return this.plan.deadlineMs;
  }

  start(host: OperationHost): void {
    const { target, intent, resolution } = this.plan;
    // The node's writer now, not when the request came: a drop since may have moved it on.
    const { actor } = host.writer;
    this.stamp = host.epochOf(target.partition);
    host.store(this, target, { kind: 'coordinate', intent, actor, nowMs: host.nowMs, resolution });
  }

  onStored(host: OperationHost, outcome: StoreOutcome): void {
    if (this.outcome !== undefined) return this.onReread(host, outcome);
    if (!outcome.ok) {
      this.answer(host, { kind: 'error', ...outcome.error.toJSON() });
      this.done = true;
      return;
    }
    this.outcome = outcome;
    const pruned = outcome.written?.prunedEntries ?? 0;
    if (pruned > 0) host.count('clockEntriesPruned', pruned);
    if (outcome.written?.clamped === true) host.count('contextsClamped');
    const object = outcome.object;
    assert(object, 'a coordinated write always stores an object');
    this.object = object;
    this.replicate(host, object);
    this.countOwnCopy(host);
    this.progress(host);
  }

  onPeerMessage(host: OperationHost, from: string, message: PeerMessage): void {
    if (message.kind !== 'replicaWriteReply' || !this.tally.isPending(from)) return;
    const hintFor = this.tally.hintForOf(from);
    const fencedEpoch = message.error?.detail?.['fencedEpoch'];
    if (typeof fencedEpoch === 'number' && this.outcome !== undefined) {
      const waitedFor = this.fenced?.get(from);
      if (waitedFor !== undefined && fencedEpoch <= waitedFor) return; // an earlier refusal again (duplicated), not the last sending's
      // A tombstone round fenced the partition after this node read it: the version may not be
      // taken as read before the fence. Once this node has the round's epoch (the refusing node
      // sends it), its copy read again is after the fence, and goes to the same node again — and
      // again if another round fenced it meanwhile (each refusal names a later epoch; the deadline
      // bounds them). Giving up at the second left a put unanswered by every reachable replica
      // when two rounds followed each other (simulator, seed 747 of --converge-by readRepair).
      (this.fenced ??= new Map()).set(from, fencedEpoch);
      host.count('fencedWriteRetries');
      host.afterEpoch(this, this.plan.target.partition, fencedEpoch, () => this.reread(host, from));
      return;
    }
    if (message.error) {
      this.tally.failed(from);
      if (hintFor !== undefined) this.hintOwners?.delete(hintFor); // that hint was not kept
      // A target that refuses (a new disk that does not know the epochs yet, a disk that failed)
      // cannot take the write now, as one that cannot be reached: the next node keeps it for its
      // owner (sloppy quorum).
      this.replace(host, from, hintFor ?? from);
    } else this.tally.stored(from);
    this.progress(host);
  }

  onDeliveryFailed(host: OperationHost, to: string): void {
    if (!this.tally.isPending(to)) return;
    const hintFor = this.tally.hintForOf(to);
    this.tally.failed(to);
    // Its hint was never kept (or never counts): the owner itself may now stand in.
    if (hintFor !== undefined) this.hintOwners?.delete(hintFor);
    const owner = hintFor ?? to;
    // The message may not have arrived: the next reachable node keeps the version for its owner.
    this.replace(host, to, owner);
    this.progress(host);
  }

  /** Targets still silent get a stand-in each; their own stores still count if they come. */
  onSilence(host: OperationHost): void {
    if (this.answered || this.object === undefined) return;
    for (const [node, hintFor] of this.tally.pending()) {
      if (this.replace(host, node, hintFor ?? node)) host.count('silentTargetFallbacks');
    }
  }

  onDeadline(host: OperationHost): void {
    this.answerQuorumMissed(host);
    this.done = true;
  }

  /** Reads this node's copy again, after the fence, for `node` (which stays pending meanwhile). */
  private reread(host: OperationHost, node: string): void {
    const stamp = host.epochOf(this.plan.target.partition);
    (this.fenced ??= new Map()).set(node, stamp);
    this.rereads.push({ node, stamp });
    host.store(this, this.plan.target, { kind: 'read' });
  }

  /**
   * This node's copy read again: sent to the node that refused the first, if it still holds the
   * version (a drop since may have taken it: then that node counts as failed). A primary's copy
   * that is gone altogether was removed by the very round that fenced the partition, which
   * removes a key only when every replica held the same object (tombstones/collector.ts): the
   * refusing primary held this version too, superseded by the tombstone collected, and counts as
   * stored — a delete reported failed though it had taken effect everywhere (the simulator's
   * availability checker, seed 1353: a blind delete collected with the next one).
   */
  private onReread(host: OperationHost, outcome: StoreOutcome): void {
    const reread = this.rereads.shift();
    if (reread === undefined || !this.tally.isPending(reread.node)) return;
    const written = this.outcome?.written;
    const object = outcome.ok ? outcome.object : null;
    if (outcome.ok && object === null && written !== undefined && this.isPrimary(host.self) && this.isPrimary(reread.node) && this.tally.hintForOf(reread.node) === undefined) {
      this.tally.stored(reread.node);
      return this.progress(host);
    }
    if (object === null || written === undefined || !covers(object.context, written.dot)) {
      this.tally.failed(reread.node);
      return this.progress(host);
    }
    const hintFor = this.tally.hintForOf(reread.node);
    const { opId, target } = this.plan;
    host.send(reread.node, { kind: 'replicaWrite', opId, ...target, object, stamp: reread.stamp, durable: this.plan.durability === 'sync', ...(hintFor === undefined ? {} : { hintFor }) });
  }

  private isPrimary(node: string): boolean {
    const index = this.plan.extended.indexOf(node);
    return index >= 0 && index < this.plan.n;
  }

  /** The coordinator holds the version; the other first-N reachable nodes are sent it. */
  private replicate(host: OperationHost, object: StoredObject): void {
    const { extended, n, target, resolution } = this.plan;
    const targets = this.plan.sloppy ? sloppyTargets(extended, n, host.isReachable, host.self) : strictTargets(extended.slice(0, n), host.isReachable, host.self);
    let own = false;
    for (const { node, hintFor } of targets) {
      this.used.add(node);
      if (node !== host.self) {
        this.sendTo(host, node, hintFor, object);
        continue;
      }
      // Its own store (done: onStored) is a copy, as a primary's, as the hint it keeps, or (forwarded
      // to it under a view it does not share, every primary reachable) as an extra copy of its own.
      own = true;
      const index = extended.indexOf(node);
      this.tally.ownCopy(hintFor ?? node, hintFor === undefined && index >= 0 && index < n);
      if (hintFor !== undefined) {
        (this.hintOwners ??= new Set()).add(hintFor);
        host.storeHint({ ...target, owner: hintFor, object }, resolution);
      }
    }
    assert(own, 'a coordinator is always one of its own targets');
  }

  /**
   * The coordinator's copy counts at once when buffered, else once a flush has put it (and its
   * hint, issued before) on disk — which runs while the other copies travel (never fsync, then send).
   */
  private countOwnCopy(host: OperationHost): void {
    if (this.plan.durability === 'buffered') return this.tally.ownCopyCounted();
    host.flush(this, (ok) => {
      if (!ok) {
        this.tally.ownCopyFailed();
        this.answer(host, { kind: 'error', ...new KvorumError('unavailable', `${host.self} could not put the new version on its disk`).toJSON() });
      } else this.tally.ownCopyCounted();
      this.progress(host);
    });
  }

  /**
   * Sends the version to the next reachable unused node of the list, to keep for `owner`, in
   * place of `node` — once per node, whether it failed or went silent first. False if there was
   * nobody left to ask (or it had a stand-in already).
   */
  private replace(host: OperationHost, node: string, owner: string): boolean {
    if (!this.plan.sloppy || this.replaced?.has(node) === true || this.object === undefined) return false;
    (this.replaced ??= new Set()).add(node);
    const fallback = nextFallback(this.plan.extended, this.used, (candidate) => this.hintOwners?.has(candidate) !== true && host.isReachable(candidate));
    if (fallback === undefined) return false;
    this.sendTo(host, fallback, owner, this.object);
    return true;
  }

  private sendTo(host: OperationHost, node: string, hintForWanted: string | undefined, object: StoredObject): void {
    const { opId, target } = this.plan;
    // A replacement may turn out to be the very primary it replaces (reachable again): it then
    // stores the version as its own, not as a hint for itself that nobody would deliver.
    const hintFor = hintForWanted === node ? undefined : hintForWanted;
    this.used.add(node);
    this.tally.sent(node, hintFor);
    if (hintFor !== undefined) {
      (this.hintOwners ??= new Set()).add(hintFor);
      host.count('hints.sent');
    }
    const durable = this.plan.durability === 'sync';
    host.send(node, { kind: 'replicaWrite', opId, ...target, object, stamp: this.stamp, durable, ...(hintFor === undefined ? {} : { hintFor }) });
  }

  private progress(host: OperationHost): void {
    const context = this.outcome?.written?.context;
    if (context && this.tally.met) this.answer(host, { kind: 'stored', context });
    if (!this.tally.settled) return;
    // Every target has answered: a quorum still missing is reported with the full count.
    this.answerQuorumMissed(host);
    this.done = true;
  }

  private answerQuorumMissed(host: OperationHost): void {
    // Building the error costs a stack trace: not on every successful put's last reply.
    if (this.answered) return;
    this.answer(host, { kind: 'error', ...this.tally.quorumError().toJSON() });
  }

  private answer(host: OperationHost, result: Parameters<OperationHost['answer']>[1]): void {
    if (this.answered) return;
    this.answered = true;
    host.answer(this.plan.requester, result);
  }
}
