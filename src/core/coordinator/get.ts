/**
 * Coordinating a get (Dynamo §5, §4.5): ask the key's N replicas, answer once R have replied
 * with the reconciliation of what they sent, keep listening until every replica has answered or
 * the deadline passes, then send the reconciled version to every replica that was behind
 * (read repair, Dynamo §5). A coordinator need not be a replica itself, so gets are never
 * forwarded: any node asks the N replicas directly.
 */
import { quorumNotMet } from '../errors.ts';
import type { Requester } from '../effects.ts';
import type { PeerMessage } from '../messages.ts';
import type { StoreOutcome } from '../replica/store-op.ts';
import { mergeObjects, objectsEqual } from '../version/object.ts';
import { pruneForClient } from '../version/prune.ts';
import type { Resolution, StoredObject } from '../version/types.ts';
import type { Operation, OperationHost, StoreTarget } from './operation.ts';

export interface GetPlan {
  readonly opId: number;
  readonly deadlineMs: number;
  readonly requester: Requester;
  readonly target: StoreTarget;
  /** The key's preference list: the N replicas asked. */
  readonly replicas: readonly string[];
  readonly r: number;
  readonly resolution: Resolution;
}

export class GetOperation implements Operation {
  done = false;
  private answered = false;
  private readonly replies = new Map<string, StoredObject | null>();
  private readonly failed = new Set<string>();
  private merged: StoredObject | null = null;

  constructor(private readonly plan: GetPlan) {}

  get opId(): number {
    return this.plan.opId;
  }

  get deadlineMs(): number {
    return this.plan.deadlineMs;
  }

  start(host: OperationHost): void {
    const { opId, target } = this.plan;
    for (const replica of this.plan.replicas) {
      if (replica === host.self) host.store(this, target, { kind: 'read' });
      else host.send(replica, { kind: 'replicaRead', opId, ...target });
    }
  }

  onStored(host: OperationHost, outcome: StoreOutcome): void {
    if (outcome.ok) this.onReply(host, host.self, outcome.object);
    else this.onFailure(host, host.self);
  }

  onPeerMessage(host: OperationHost, from: string, message: PeerMessage): void {
    if (message.kind !== 'replicaReadReply' || !this.isPending(from)) return;
    if (message.error) this.onFailure(host, from);
    else this.onReply(host, from, message.object);
  }

  onDeliveryFailed(host: OperationHost, to: string): void {
    if (this.isPending(to)) this.onFailure(host, to);
  }

  onDeadline(host: OperationHost): void {
    this.finish(host);
  }

  private isPending(replica: string): boolean {
    return this.plan.replicas.includes(replica) && !this.replies.has(replica) && !this.failed.has(replica);
  }

  private onReply(host: OperationHost, from: string, object: StoredObject | null): void {
    this.replies.set(from, object);
    if (object) this.merged = this.merged ? mergeObjects(this.merged, object, this.plan.resolution) : object;
    if (!this.answered && this.replies.size >= this.plan.r) {
      this.answered = true;
      host.answer(this.plan.requester, { kind: 'got', object: this.merged && this.forClient(host, this.merged) });
    }
    this.finishIfAllAnswered(host);
  }

  /** What the client sees: the reconciled siblings with a context its next put may carry back. */
  private forClient(host: OperationHost, merged: StoredObject): StoredObject {
    const { context, prunedEntries } = pruneForClient(merged);
    if (prunedEntries === 0) return merged;
    host.count('clockEntriesPruned', prunedEntries);
    return { siblings: merged.siblings, context };
  }

  private onFailure(host: OperationHost, from: string): void {
    this.failed.add(from);
    this.finishIfAllAnswered(host);
  }

  private answerQuorumMissed(host: OperationHost): void {
    if (this.answered) return;
    this.answered = true;
    const error = quorumNotMet({ quorum: 'r', required: this.plan.r, received: this.replies.size });
    host.answer(this.plan.requester, { kind: 'error', ...error.toJSON() });
  }

  private finishIfAllAnswered(host: OperationHost): void {
    if (this.replies.size + this.failed.size === this.plan.replicas.length) this.finish(host);
  }

  /**
   * Once every replica has answered or failed: a quorum still missing is reported with the
   * full count of replies (not the count at the moment it became unreachable), then stale
   * replicas are repaired.
   */
  private finish(host: OperationHost): void {
    if (this.done) return;
    this.done = true;
    this.answerQuorumMissed(host);
    this.repairStaleReplicas(host);
  }

  /** Read repair: every replica that answered with less than the reconciled version gets it. */
  private repairStaleReplicas(host: OperationHost): void {
    const merged = this.merged;
    if (!merged) return;
    const { opId, target, resolution } = this.plan;
    for (const [replica, object] of this.replies) {
      if (object && objectsEqual(object, merged)) continue;
      host.count('readRepairs');
      if (replica === host.self) host.store(null, target, { kind: 'merge', object: merged, resolution });
      else host.send(replica, { kind: 'replicaWrite', opId, ...target, object: merged });
    }
  }
}
