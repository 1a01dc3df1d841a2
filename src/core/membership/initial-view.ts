/**
 * Where a node's view starts: the one it persisted (it survives restarts), else the ring every
 * member derives alike from the cluster config, else — for a node started with only seeds — an
 * empty view of version 0 that any gossip from the cluster replaces.
 */
import { claim } from '../ring/claim.ts';
import type { Ring, RingNode } from '../ring/types.ts';
import { memberWith, sortedMembers, type ClusterView } from './view.ts';

/** The ring of the config: version 1, made by nobody (''), identical on every member. */
export function configView(nodes: readonly RingNode[], partitionCount: number, replicasN: number): ClusterView {
  const targetN = Math.min(replicasN, nodes.length);
  return {
    version: 1,
    changedBy: '',
    partitionCount,
    members: sortedMembers(nodes.map((node) => memberWith(node, 'valid'))),
    owners: claim(undefined, nodes, partitionCount, targetN),
    next: null,
    transfers: [],
    completed: [],
  };
}

/**
 * A node that knows only seeds: it owns its own ring (so it can start) at version 0, which loses
 * to any view a member gossips, so it learns the cluster's ring from the first reply.
 */
export function seedOnlyView(self: RingNode, partitionCount: number): ClusterView {
  return {
    version: 0,
    changedBy: self.name,
    partitionCount,
    members: [memberWith(self, 'joining')],
    owners: new Array<string>(partitionCount).fill(self.name),
    next: null,
    transfers: [],
    completed: [],
  };
}

/** A view for an existing ring (nodes built from a Ring alone, as older tests do). */
export function viewOfRing(ring: Ring): ClusterView {
  return {
    version: ring.version,
    changedBy: '',
    partitionCount: ring.partitionCount,
    members: sortedMembers([...ring.nodes.values()].map((node) => memberWith(node, 'valid'))),
    owners: [...ring.owners],
    next: null,
    transfers: [],
    completed: [],
  };
}
