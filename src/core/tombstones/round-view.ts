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

/** Whether a round may run under `view`: a settled ring (no partitions moving). */
export function roundsAllowed(view: ClusterView): boolean {
  return view.version > 0 && !inTransition(view);
}

/** Every node that may hold a copy or a hint: each takes part in every round. */
export function roundMembers(view: ClusterView): string[] {
  return activeMembers(view).map((member) => member.name);
}
