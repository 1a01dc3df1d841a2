/**
 * The view a collection round runs under, named so that every member can tell whether it serves
 * the same one. Rounds run only outside transitions, where a commit is fixed by its version, its
 * maker and whether it was an abort (view-merge.ts `compareCommits`).
 */
import { activeMembers, inTransition, type ClusterView } from '../membership/view.ts';

export function roundViewId(view: ClusterView): string {
  return `${view.version}/${view.changedBy}/${view.aborted === true ? 'aborted' : 'committed'}`;
}

/** Whether a round may run under `view`: a settled ring (no partitions moving). */
export function roundsAllowed(view: ClusterView): boolean {
  return view.version > 0 && !inTransition(view);
}

/** Every node that may hold a copy or a hint: each takes part in every round. */
export function roundMembers(view: ClusterView): string[] {
  return activeMembers(view).map((member) => member.name);
}
