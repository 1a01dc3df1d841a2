/**
 * The cluster view: what each node believes the ring is — its members and their status, the
 * owner of every partition, and a version — as one immutable value that nodes gossip (Dynamo
 * §4.8.1: "each node contacts a peer chosen at random every second and the two nodes efficiently
 * reconcile their persisted membership change histories"). Riak's ring is the model: a change is
 * made by one node (the one an operator asked), stamped with a higher version, and spread.
 *
 * A committed change that moves partitions is a transition (Dynamo §4.9): `owners` keeps serving
 * while the `transfers` to `next` run; each finished transfer is added to `completed`, and once
 * every transfer is completed any node finalizes the view (`next` becomes `owners`).
 */
import { assertFailed } from '../assert.ts';
import type { Ring, RingNode } from '../ring/types.ts';
import type { BucketEntry } from './bucket-props.ts';

export type MemberStatus = 'joining' | 'valid' | 'leaving' | 'removed';

export const memberStatuses: readonly MemberStatus[] = ['joining', 'valid', 'leaving', 'removed'];

export interface Member extends RingNode {
  readonly status: MemberStatus;
}

/** Moving one partition's keys to a node that becomes one of its replicas. */
export interface Transfer {
  readonly partition: number;
  /** Sends the keys: a replica that stops holding the partition, else one that keeps it. */
  readonly from: string;
  /** Becomes a replica of the partition once the transition ends. */
  readonly to: string;
}

export interface ClusterView {
  /** Bumped by every commit and every finalization; gossip keeps the highest (view-merge.ts). */
  readonly version: number;
  /** The node that made this version ('' for the ring every node derives from the config). */
  readonly changedBy: string;
  readonly partitionCount: number;
  /** Sorted by name; removed members stay listed so that a late gossip cannot revive them. */
  readonly members: readonly Member[];
  /** The serving owner of each partition: what reads and writes use. */
  readonly owners: readonly string[];
  /** The owners once the transition ends; null when no transition runs. */
  readonly next: readonly string[] | null;
  /** What the transition must move; empty when none runs. */
  readonly transfers: readonly Transfer[];
  /** Ids (transferId) of the transfers known finished, sorted; grows only within a version. */
  readonly completed: readonly string[];
  /**
   * Set on the view an operator's abort made (plan.ts `abortTransition`): it ends a transition
   * without moving anything, and loses to the finalization of the same transition (view-merge.ts).
   */
  readonly aborted?: true;
  /**
   * Buckets whose properties were set at run time (bucket-props.ts), sorted by name; absent when
   * none was. Merged apart from the ring's commits: every view a commit or a transition makes
   * carries them on (`bucketsOf`).
   */
  readonly buckets?: readonly BucketEntry[];
}

/** The view's run-time bucket settings (none when it has none). */
export function bucketEntriesOf(view: ClusterView): readonly BucketEntry[] {
  return view.buckets ?? [];
}

/** `view` with these bucket settings; the field stays absent while there are none. */
export function withBucketEntries(view: ClusterView, buckets: readonly BucketEntry[]): ClusterView {
  if (buckets.length === 0) {
    if (view.buckets === undefined) return view;
    const { buckets: _dropped, ...rest } = view;
    return rest;
  }
  return { ...view, buckets };
}

/** The field to spread into a view made from `view`, so that its bucket settings carry on. */
export function bucketsOf(view: ClusterView): { readonly buckets?: readonly BucketEntry[] } {
  return view.buckets === undefined ? {} : { buckets: view.buckets };
}

export function transferId(transfer: Transfer): string {
  return `${transfer.partition}:${transfer.from}>${transfer.to}`;
}

export function inTransition(view: ClusterView): boolean {
  return view.next !== null;
}

/** Members that hold or will hold partitions, or are still handing theirs over. */
export function activeMembers(view: ClusterView): Member[] {
  return view.members.filter((member) => member.status !== 'removed');
}

export function memberOf(view: ClusterView, name: string): Member | undefined {
  return view.members.find((member) => member.name === name);
}

/** The serving ring of a view: every active member, the serving owners, the view's version. */
export function servingRing(view: ClusterView): Ring {
  const nodes = new Map<string, RingNode>();
  for (const member of activeMembers(view)) nodes.set(member.name, ringNodeOf(member));
  for (const owner of view.owners) if (!nodes.has(owner)) assertFailed(`owner ${owner} is not an active member`);
  return Object.freeze({ partitionCount: view.partitionCount, owners: view.owners, nodes, version: view.version });
}

/**
 * The ring fields of a member, in one fixed key order and without absent optional fields: views
 * are compared by their JSON (view-merge.ts), so every node must build the same record alike.
 */
export function ringNodeOf(member: RingNode): RingNode {
  const { name, address, httpUrl, clientAddress, capacity, zone } = member;
  return { name, address, httpUrl, ...(clientAddress === undefined ? {} : { clientAddress }), capacity, ...(zone === undefined ? {} : { zone }) };
}

export function memberWith(node: RingNode, status: MemberStatus): Member {
  return { ...ringNodeOf(node), status };
}

export function sortedMembers(members: readonly Member[]): Member[] {
  return [...members].sort((a, b) => compareCodeUnits(a.name, b.name));
}

/** Locale-independent order: every node must order names the same way. */
export function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
