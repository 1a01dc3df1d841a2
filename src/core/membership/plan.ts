/**
 * Planning and committing a membership change (Dynamo §4.9). The new owners come from claim run
 * on the previous owners, which moves as few partitions as it can (ring/claim.ts). What moves is
 * computed per partition from the preference lists, because a node replicates every partition
 * whose preference list names it, not only those it owns: each node that gains a partition gets
 * a transfer from a node that loses it (that node's copy would otherwise be dropped), or — when
 * none loses it, or the loser is dead — from a replica that keeps it.
 */
import { KvorumError } from '../errors.ts';
import { claim } from '../ring/claim.ts';
import { preferenceList } from '../ring/ring.ts';
import type { Ring } from '../ring/types.ts';
import { stagedName, type StagedChange } from './staged.ts';
import { activeMembers, bucketsOf, inTransition, memberWith, servingRing, sortedMembers, transferId, type ClusterView, type Member, type Transfer } from './view.ts';

export interface Plan {
  readonly members: readonly Member[];
  readonly next: readonly string[];
  readonly transfers: readonly Transfer[];
  /** Partitions whose owner changes. */
  readonly moves: readonly { readonly partition: number; readonly from: string; readonly to: string }[];
}

/**
 * `replicasN` is the largest N of any bucket, `replicasNMin` the smallest (the same when left out):
 * with buckets of different N a node that moves up a partition's walk without entering it gains
 * the keys of the buckets whose N now reaches it, and gets a transfer too.
 */
export function planChange(view: ClusterView, staged: readonly StagedChange[], replicasN: number, replicasNMin = replicasN): Plan {
  if (staged.length === 0) throw new KvorumError('bad_request', 'nothing is staged: stage a join, leave or remove first');
  if (inTransition(view)) throw new KvorumError('bad_request', `a change is still transferring partitions (ring version ${view.version}); commit again when it ends`);
  const members = membersAfter(view, staged);
  const owning = members.filter((member) => member.status === 'valid' || member.status === 'joining');
  if (owning.length === 0) throw new KvorumError('bad_request', 'the plan would leave no member to own the partitions');
  const next = claim(view.owners, owning, view.partitionCount, Math.min(replicasN, owning.length));
  const removed = new Set(staged.filter((change) => change.action === 'remove').map(stagedName));
  const transfers = transfersBetween(servingRing(view), nextRing(view, members, next), replicasN, replicasNMin, removed);
  const moves = next.flatMap((to, partition) => (to === view.owners[partition] ? [] : [{ partition, from: view.owners[partition]!, to }]));
  return { members, next, transfers, moves };
}

/** The committed view: a transition when partitions move, else final at once. */
export function commitPlan(view: ClusterView, plan: Plan, by: string): ClusterView {
  const committed: ClusterView = {
    version: view.version + 1,
    changedBy: by,
    partitionCount: view.partitionCount,
    members: plan.members,
    owners: view.owners,
    next: plan.next,
    transfers: plan.transfers,
    completed: [],
    ...bucketsOf(view),
  };
  return plan.transfers.length === 0 ? finalized(committed) : committed;
}

/**
 * Ends the running transition without finishing it, for a change that cannot complete (a joiner
 * that died mid-transfer holds it open). The old owners never stopped serving and kept their
 * data, so going back moves nothing: joiners are taken out again ('removed', free to join
 * later), leaving and removed-while-dead members are 'valid' again. The view has the version the
 * transition's finalization would have, and loses to it (view-merge.ts): if every transfer did
 * complete somewhere, the change stands, and no write made under the new ring is stranded.
 */
export function abortTransition(view: ClusterView, by: string): ClusterView {
  if (!inTransition(view)) throw new KvorumError('bad_request', `no change is transferring partitions (ring version ${view.version}): nothing to abort`);
  const members = view.members.map((member) =>
    member.status === 'joining' ? { ...member, status: 'removed' as const } : member.status === 'leaving' ? { ...member, status: 'valid' as const } : member,
  );
  return { version: view.version + 1, changedBy: by, partitionCount: view.partitionCount, members, owners: view.owners, next: null, transfers: [], completed: [], aborted: true, ...bucketsOf(view) };
}

/** The view once every transfer completed (Dynamo §4.9: the new node takes over), else null. */
export function finalizeIfDone(view: ClusterView): ClusterView | null {
  if (view.next === null) return null;
  const done = new Set(view.completed);
  return view.transfers.every((transfer) => done.has(transferId(transfer))) ? finalized(view) : null;
}

/** Same maker as the commit, so every node that finalizes it makes the identical view. */
function finalized(view: ClusterView): ClusterView {
  const members = view.members.map((member) =>
    member.status === 'joining' ? { ...member, status: 'valid' as const } : member.status === 'leaving' ? { ...member, status: 'removed' as const } : member,
  );
  return { ...view, version: view.version + 1, members, owners: view.next ?? view.owners, next: null, transfers: [], completed: [] };
}

function membersAfter(view: ClusterView, staged: readonly StagedChange[]): Member[] {
  const byName = new Map(view.members.map((member) => [member.name, member]));
  for (const change of staged) {
    if (change.action === 'join') byName.set(change.node.name, memberWith(change.node, 'joining'));
    else {
      const member = byName.get(change.name);
      if (member === undefined || member.status !== 'valid') throw new KvorumError('bad_request', `${change.name} is no longer a valid member`);
      byName.set(change.name, { ...member, status: 'leaving' });
    }
  }
  return sortedMembers([...byName.values()]);
}

function nextRing(view: ClusterView, members: readonly Member[], next: readonly string[]): Ring {
  return servingRing({ ...view, members: members.map((m) => (m.status === 'leaving' ? { ...m, status: 'removed' as const } : m)), owners: next });
}

/**
 * The node at index i (from 0) of a partition's walk (the preference list of the largest N)
 * replicates the keys of the buckets with N > i there. A node that moves from index b (Infinity:
 * outside the walk) to index a gains the buckets with N in (a, b] — with N ranging over
 * [replicasNMin, replicasN], some bucket may have any N of them — and gets the partition from a
 * node that held all of those: one at an old index below the least N it gains. A node that leaves
 * the walk is preferred (its copy would otherwise be dropped), each once; else a node that stays.
 * With every bucket of one N this is: each node entering the walk gets a transfer from one
 * leaving it, or from one staying.
 */
function transfersBetween(before: Ring, after: Ring, replicasN: number, replicasNMin: number, dead: ReadonlySet<string>): Transfer[] {
  const nBefore = Math.min(replicasN, new Set(before.owners).size);
  const nAfter = Math.min(replicasN, new Set(after.owners).size);
  const transfers: Transfer[] = [];
  for (let partition = 0; partition < before.partitionCount; partition++) {
    const old = preferenceList(before, partition, nBefore);
    const now = preferenceList(after, partition, nAfter);
    const losers = old.filter((node) => !now.includes(node) && !dead.has(node));
    const keepers = old.filter((node) => now.includes(node) && !dead.has(node));
    now.forEach((to, index) => {
      const was = old.indexOf(to);
      const gainedNMin = Math.max(index + 1, replicasNMin);
      if (gainedNMin > Math.min(was < 0 ? Infinity : was, replicasN)) return; // gains no bucket
      const holdsAll = (node: string): boolean => old.indexOf(node) < gainedNMin && node !== to;
      const loser = losers.find(holdsAll);
      if (loser !== undefined) losers.splice(losers.indexOf(loser), 1);
      const from = loser ?? keepers.find(holdsAll);
      if (from !== undefined) transfers.push({ partition, from, to });
    });
  }
  return transfers;
}

/** Members other than `self` the view's ring uses, for gossip. */
export function gossipTargets(view: ClusterView, self: string): string[] {
  return activeMembers(view).filter((member) => member.name !== self).map((member) => member.name);
}
