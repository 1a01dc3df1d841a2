/**
 * The client's copy of the ring (Dynamo §6.4, client-driven coordination): for each partition,
 * the nodes to try in order — its preference list, then every other node — and for each node
 * where to reach it. A ring comes from a node (`GET /v1/ring` or the binary `ring` op), and a
 * client trusts no node blindly: a malformed ring is refused with a clear error, not routed on.
 */
import { KvorumError } from '../core/errors.ts';
import type { RingDescription } from '../wire/client-protocol.ts';

/** Where a request for a node goes. */
export type Endpoint = { readonly kind: 'binary'; readonly address: string } | { readonly kind: 'http'; readonly url: string };

export interface RingNodeView {
  readonly name: string;
  readonly httpUrl: string;
  /** host:port of its binary client port; null when it has none. */
  readonly clientAddress: string | null;
}

export interface RingView {
  readonly partitionCount: number;
  readonly nodes: ReadonlyMap<string, RingNodeView>;
  /** For each partition, node names: its preference list, then every other node. */
  readonly routes: readonly (readonly string[])[];
  readonly fetchedAtMs: number;
}

/** How a client reaches a node: its binary port when it has one and binary is wanted, else HTTP. */
export function endpointOf(node: RingNodeView, protocol: 'binary' | 'http'): Endpoint {
  return protocol === 'binary' && node.clientAddress !== null ? { kind: 'binary', address: node.clientAddress } : { kind: 'http', url: node.httpUrl };
}

export function buildRingView(ring: RingDescription, fetchedAtMs: number): RingView {
  const problem = ringProblem(ring);
  if (problem !== null) throw new KvorumError('internal', `a node sent a malformed ring: ${problem}`);
  const nodes = new Map(ring.nodes.map(({ name, httpUrl, clientAddress }) => [name, { name, httpUrl, clientAddress: clientAddress ?? null }]));
  const names = [...nodes.keys()];
  const routes = ring.partitions.map(({ preferenceList }) => [...preferenceList, ...names.filter((name) => !preferenceList.includes(name))]);
  return { partitionCount: ring.partitionCount, nodes, routes, fetchedAtMs };
}

function ringProblem(ring: unknown): string | null {
  const { partitionCount, nodes, partitions } = (ring ?? {}) as Partial<Record<keyof RingDescription, unknown>>;
  if (typeof partitionCount !== 'number' || !Number.isInteger(partitionCount) || partitionCount < 1 || (partitionCount & (partitionCount - 1)) !== 0) return `partitionCount ${String(partitionCount)}`;
  if (!Array.isArray(nodes) || nodes.length === 0) return 'no nodes';
  const names = new Set<string>();
  for (const node of nodes as Record<string, unknown>[]) {
    if (typeof node?.name !== 'string' || typeof node.httpUrl !== 'string') return 'a node without name or httpUrl';
    if (node.clientAddress != null && typeof node.clientAddress !== 'string') return `node ${node.name}: clientAddress is not a string`;
    names.add(node.name);
  }
  if (!Array.isArray(partitions) || partitions.length !== partitionCount) return `${Array.isArray(partitions) ? partitions.length : 'no'} partitions for a partitionCount of ${partitionCount}`;
  for (const partition of partitions as { preferenceList?: unknown }[]) {
    const list = partition?.preferenceList;
    if (!Array.isArray(list) || list.some((name) => !names.has(name as string))) return 'a preference list that names a node not in the ring';
  }
  return null;
}
