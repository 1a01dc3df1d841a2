/**
 * Coordinating a put or delete (Dynamo §5, §6): the coordinator — always one of the key's
 * preference list — makes the new version on its own disk first (its dot names the write), then
 * sends that version to the other replicas and answers after W stores, itself included.
 * Replicas that fail or do not answer in time count against W; the answer names how many stored.
 */
import { assert } from '../assert.ts';
import { quorumNotMet } from '../errors.ts';
import type { Requester } from '../effects.ts';
import type { PeerMessage } from '../messages.ts';
import type { StoreOutcome } from '../replica/store-op.ts';
import type { Actor, Resolution, WriteIntent } from '../version/types.ts';
import type { Operation, OperationHost, StoreTarget } from './operation.ts';

export interface PutPlan {
  readonly opId: number;
  readonly deadlineMs: number;
  readonly requester: Requester;
  readonly target: StoreTarget;
  /** The key's preference list; the coordinator is one of them. */
  readonly replicas: readonly string[];
  readonly w: number;
  readonly intent: WriteIntent;
  readonly actor: Actor;
  readonly resolution: Resolution;
}

export class PutOperation implements Operation {
  done = false;
  private answered = false;
  private stored = 0;
  private readonly pending = new Set<string>();
  private readonly failed = new Set<string>();
  private outcome: Extract<StoreOutcome, { ok: true }> | undefined;

  constructor(private readonly plan: PutPlan) {}

  get opId(): number {
    return this.plan.opId;
  }

  get deadlineMs(): number {
    return this.plan.deadlineMs;
  }

  start(host: OperationHost): void {
    const { target, intent, actor, resolution } = this.plan;
    host.store(this, target, { kind: 'coordinate', intent, actor, nowMs: host.nowMs, resolution });
  }

  onStored(host: OperationHost, outcome: StoreOutcome): void {
    if (!outcome.ok) {
      this.answer(host, { kind: 'error', ...outcome.error.toJSON() });
      this.done = true;
      return;
    }
    this.outcome = outcome;
    const pruned = outcome.written?.prunedEntries ?? 0;
    if (pruned > 0) host.count('clockEntriesPruned', pruned);
    this.stored = 1;
    const object = outcome.object;
    assert(object, 'a coordinated write always stores an object');
    const { opId, target } = this.plan;
    for (const replica of this.plan.replicas) {
      if (replica === host.self) continue;
      this.pending.add(replica);
      host.send(replica, { kind: 'replicaWrite', opId, ...target, object });
    }
    this.progress(host);
  }

  onPeerMessage(host: OperationHost, from: string, message: PeerMessage): void {
    if (message.kind !== 'replicaWriteReply' || !this.pending.delete(from)) return;
    if (message.error) this.failed.add(from);
    else this.stored += 1;
    this.progress(host);
  }

  onDeliveryFailed(host: OperationHost, to: string): void {
    if (!this.pending.delete(to)) return;
    this.failed.add(to);
    this.progress(host);
  }

  onDeadline(host: OperationHost): void {
    this.answerQuorumMissed(host);
    this.done = true;
  }

  private progress(host: OperationHost): void {
    const { w } = this.plan;
    const context = this.outcome?.written?.context;
    if (context && this.stored >= w) this.answer(host, { kind: 'stored', context });
    if (this.pending.size > 0) return;
    // Every replica has answered: a quorum still missing is reported with the full count.
    this.answerQuorumMissed(host);
    this.done = true;
  }

  private answerQuorumMissed(host: OperationHost): void {
    const error = quorumNotMet({ quorum: 'w', required: this.plan.w, received: this.stored });
    this.answer(host, { kind: 'error', ...error.toJSON() });
  }

  private answer(host: OperationHost, result: Parameters<OperationHost['answer']>[1]): void {
    if (this.answered) return;
    this.answered = true;
    host.answer(this.plan.requester, result);
  }
}
