/**
 * A put that reaches a node outside the key's preference list is sent on to a node inside it
 * (server-driven coordination, Dynamo §6.4): only a replica can make the new version, because
 * the version's dot must come from a node that has seen every earlier write it coordinated.
 * Candidates are tried in preference-list order when one cannot be reached — the list of the
 * node's ring at that moment, not at the request's arrival: a join or leave in between moves the
 * key, and the next candidate of the old list may be no replica any more, or no member (the
 * simulator's placement checker saw a put forwarded to a node that had just left).
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
  /** The key's primaries in this node's ring now (it may change while the forward waits). */
  readonly primaries: () => readonly string[];
  /** Time the receiving coordinator is given, a little less than ours so its answer arrives first. */
  readonly forwardedTimeoutMs: number;
}

export class ForwardOperation implements Operation {
  done = false;
  /** The candidate the request went to last (undefined: none yet, or none left). */
  private to: string | undefined;
  private readonly tried = new Set<string>();

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
    if (message.kind !== 'forwardReply' || from !== this.to) return;
    host.answer(this.plan.requester, message.result);
    this.done = true;
  }

  onDeliveryFailed(host: OperationHost, to: string): void {
    if (to !== this.to) return;
    this.sendToCandidate(host);
  }

  onStored(): void {
    // A forward never stores.
  }

  onDeadline(host: OperationHost): void {
    if (this.done) return;
    const error = new KvorumError('timeout', `no answer from coordinator ${this.to ?? '?'} before the deadline; the write may or may not have been stored`);
    host.answer(this.plan.requester, { kind: 'error', ...error.toJSON() });
    this.done = true;
  }

  private sendToCandidate(host: OperationHost): void {
    const primaries = this.plan.primaries();
    const to = primaries.find((node) => node !== host.self && !this.tried.has(node) && host.isReachable(node));
    this.to = to;
    if (to === undefined) {
      const error = new KvorumError('unavailable', `no node of the key's preference list (${primaries.join(', ')}) could be reached`);
      host.answer(this.plan.requester, { kind: 'error', ...error.toJSON() });
      this.done = true;
      return;
    }
    this.tried.add(to);
    host.count('forwarded');
    const request = { ...this.plan.request, timeoutMs: this.plan.forwardedTimeoutMs };
    host.send(to, { kind: 'forward', opId: this.plan.opId, request });
  }
}
