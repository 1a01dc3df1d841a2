/**
 * A put that reaches a node outside the key's preference list is sent on to a node inside it
 * (server-driven coordination, Dynamo §6.4): only a replica can make the new version, because
 * the version's dot must come from a node that has seen every earlier write it coordinated.
 * Candidates are tried in preference-list order when one cannot be reached.
 */
import { KvorumError } from '../errors.ts';
import type { Requester } from '../effects.ts';
import type { ClientRequest, PeerMessage } from '../messages.ts';
import type { Operation, OperationHost } from './operation.ts';

export interface ForwardPlan {
  readonly opId: number;
  readonly deadlineMs: number;
  readonly requester: Requester;
  readonly request: ClientRequest;
  readonly candidates: readonly string[];
  /** Time the receiving coordinator is given, a little less than ours so its answer arrives first. */
  readonly forwardedTimeoutMs: number;
}

export class ForwardOperation implements Operation {
  done = false;
  private candidateIndex = 0;

  constructor(private readonly plan: ForwardPlan) {}

  get opId(): number {
    return this.plan.opId;
  }

  get deadlineMs(): number {
    return this.plan.deadlineMs;
  }

  start(host: OperationHost): void {
    this.sendToCandidate(host);
  }

  onPeerMessage(host: OperationHost, from: string, message: PeerMessage): void {
    if (message.kind !== 'forwardReply' || from !== this.plan.candidates[this.candidateIndex]) return;
    host.answer(this.plan.requester, message.result);
    this.done = true;
  }

  onDeliveryFailed(host: OperationHost, to: string): void {
    if (to !== this.plan.candidates[this.candidateIndex]) return;
    this.candidateIndex += 1;
    this.sendToCandidate(host);
  }

  onStored(): void {
    // A forward never stores.
  }

  onDeadline(host: OperationHost): void {
    if (this.done) return;
    const to = this.plan.candidates[this.candidateIndex];
    const error = new KvorumError('timeout', `no answer from coordinator ${to ?? '?'} before the deadline; the write may or may not have been stored`);
    host.answer(this.plan.requester, { kind: 'error', ...error.toJSON() });
    this.done = true;
  }

  private sendToCandidate(host: OperationHost): void {
    const to = this.plan.candidates[this.candidateIndex];
    if (to === undefined) {
      const error = new KvorumError('unavailable', `no node of the key's preference list (${this.plan.candidates.join(', ')}) could be reached`);
      host.answer(this.plan.requester, { kind: 'error', ...error.toJSON() });
      this.done = true;
      return;
    }
    host.count('forwarded');
    const request = { ...this.plan.request, timeoutMs: this.plan.forwardedTimeoutMs };
    host.send(to, { kind: 'forward', opId: this.plan.opId, request });
  }
}
