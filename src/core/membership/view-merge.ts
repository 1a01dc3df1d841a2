/**
 * Reconciling two views (Dynamo §4.8.1). The higher version wins; two different views of one
 * version (two operators committing at once on different nodes) are ordered by who made them and
 * then by content, so every node picks the same one whatever order gossip brings them in. Two
 * copies of the same commit differ only in which transfers they know completed: those are
 * united. An operator's abort of a transition loses to that transition's finalization. The
 * merge is a join of a semilattice — commutative, associative, idempotent
 * (view-merge.test.ts) — which is what makes gossip converge. riak_core_ring:reconcile is the
 * reference, without its vector clocks: a single version suffices because commits are only made
 * on a settled view (plan.ts).
 */
import { mergeBucketEntries, sameBucketEntries } from './bucket-props.ts';
import { bucketEntriesOf, withBucketEntries, type ClusterView } from './view.ts';

export function mergeViews(a: ClusterView, b: ClusterView): ClusterView {
  if (a === b) return a;
  const order = compareCommits(a, b);
  const ring = order > 0 ? a : order < 0 ? b : uniteCompleted(a, b);
  // Bucket settings merge on their own (bucket-props.ts): a product of two joins is a join.
  const buckets = mergeBucketEntries(bucketEntriesOf(a), bucketEntriesOf(b));
  return sameBucketEntries(buckets, bucketEntriesOf(ring)) ? ring : withBucketEntries(ring, buckets);
}

/** Whether two views are the same value (same commit, same completed transfers, same bucket settings). */
export function sameView(a: ClusterView, b: ClusterView): boolean {
  return (
    a === b ||
    (compareCommits(a, b) === 0 &&
      a.completed.length === b.completed.length &&
      a.completed.every((id, i) => id === b.completed[i]) &&
      sameBucketEntries(bucketEntriesOf(a), bucketEntriesOf(b)))
  );
}

/**
 * Orders commits: version, then an abort below any other view of its version (a transition that
 * finalized stands, see plan.ts abortTransition), then maker, then content. 0 only for the same
 * commit.
 */
export function compareCommits(a: ClusterView, b: ClusterView): number {
  if (a.version !== b.version) return a.version - b.version;
  if ((a.aborted === true) !== (b.aborted === true)) return a.aborted === true ? -1 : 1;
  if (a.changedBy !== b.changedBy) return a.changedBy < b.changedBy ? -1 : 1;
  const left = commitContent(a);
  const right = commitContent(b);
  return left === right ? 0 : left < right ? -1 : 1;
}

/** Everything a commit fixed, canonically (members are sorted, arrays are ordered); bucket settings are not a commit's. */
function commitContent(view: ClusterView): string {
  return JSON.stringify([view.partitionCount, view.members, view.owners, view.next, view.transfers, view.aborted === true]);
}

function uniteCompleted(a: ClusterView, b: ClusterView): ClusterView {
  if (b.completed.length === 0) return a;
  if (a.completed.length === 0) return b;
  const united = [...new Set([...a.completed, ...b.completed])].sort();
  if (united.length === a.completed.length) return a;
  if (united.length === b.completed.length) return b;
  return { ...a, completed: united };
}
