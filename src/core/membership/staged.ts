/**
 * Staged membership changes (Dynamo §4.8.1: "an administrator uses a command line tool … to
 * connect to a Dynamo node and issue a membership change"). Riak's lesson is to stage changes,
 * show the plan, and only then commit, so an operator sees what will move before it moves. Staged
 * changes live on the node the operator talks to (the claimant of the next commit).
 */
import { KvorumError } from '../errors.ts';
import type { RingNode } from '../ring/types.ts';
import { memberOf, type ClusterView } from './view.ts';

export type StagedChange =
  /** A new node asks to join: it will be given its share of partitions. */
  | { readonly action: 'join'; readonly node: RingNode }
  /** A live member hands its partitions over, then leaves the ring. */
  | { readonly action: 'leave'; readonly name: string }
  /** A dead member is taken out; its replicas are rebuilt from the other replicas. */
  | { readonly action: 'remove'; readonly name: string };

/** Changes staged at once, a bound so a plan stays small. */
export const stagedChangesCountMax = 64;

/** The staged list with `change` added; a later change of the same node replaces an earlier one. */
export function stage(view: ClusterView, staged: readonly StagedChange[], change: StagedChange): StagedChange[] {
  const name = change.action === 'join' ? change.node.name : change.name;
  const member = memberOf(view, name);
  if (change.action === 'join') {
    if (member !== undefined && member.status !== 'removed') throw new KvorumError('bad_request', `${name} is already a member (${member.status})`);
  } else if (member === undefined || member.status !== 'valid') {
    throw new KvorumError('bad_request', `${name} is not a valid member${member ? ` (it is ${member.status})` : ''}: cannot ${change.action} it`);
  }
  const others = staged.filter((other) => (other.action === 'join' ? other.node.name : other.name) !== name);
  if (others.length >= stagedChangesCountMax) throw new KvorumError('bad_request', `at most ${stagedChangesCountMax} changes may be staged`);
  return [...others, change];
}

export function stagedName(change: StagedChange): string {
  return change.action === 'join' ? change.node.name : change.name;
}
