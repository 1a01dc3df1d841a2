/**
 * The view a collection round runs under, named so that every member can tell whether it serves
 * the same one: its version and a digest of who is a member and who owns what (two views of one
 * version can differ — nodes configured apart, an abort and the finalization it races).
 */
import { hash } from 'node:crypto';
import { activeMembers, inTransition, type ClusterView } from '../membership/view.ts';

export function roundViewId(view: ClusterView): string {
  const members = view.members.map((member) => `${member.name}:${member.status}`).join(',');
  const digest = hash('sha256', `${members}|${view.owners.join(',')}|${view.aborted === true}`, 'base64url').slice(0, 16);
  return `${view.version}/${digest}`;
}

/**
 * Whether a member serving `view` may know holders that a round run under `roundView` leaves out
 * (a later commit, or another commit of the same version): it then refuses the round. A member
 * whose view is older answers for what it holds itself — a node that left or whose join was
 * aborted stops hearing gossip, and still holds copies the round must know about.
 */
export function servesNewerView(view: ClusterView, roundView: string): boolean {
  const roundVersion = Number(roundView.slice(0, roundView.indexOf('/')));
  return view.version > roundVersion || (view.version === roundVersion && roundViewId(view) !== roundView);
}

/** Whether a round may run under `view`: a settled ring (no partitions moving). */
export function roundsAllowed(view: ClusterView): boolean {
  return view.version > 0 && !inTransition(view);
}

/** Every active member: each may hold a copy or a hint, and takes part in every round. */
export function roundMembers(view: ClusterView): string[] {
  return activeMembers(view).map((member) => member.name);
}

/**
 * The members of a round: every active member, and every removed one not known to be down — a
 * node that left or whose join was aborted still hands its last copies to the replicas, and must
 * be fenced for them to be taken. A removed node that is down is left out (one that never answers
 * ends a round, and is then known down); if it comes back, what it hands off is stamped below the
 * epochs of the rounds it missed and refused (safe, but it keeps it: docs/handoff.md).
 */
export function roundParticipants(view: ClusterView, isReachable: (node: string) => boolean): string[] {
  const removed = view.members.filter((member) => member.status === 'removed' && isReachable(member.name)).map((member) => member.name);
  return [...roundMembers(view), ...removed];
}
