/**
 * The membership part of the HTTP API (docs/api.md, docs/membership.md): stage a join, leave or
 * remove, see the plan, commit it, follow transfers, and abort a change that cannot finish. Changes are staged on the node asked
 * (Riak's claimant): run plan and commit against the same node.
 */
import type { FastifyInstance } from 'fastify';
import { permits } from './route-permissions.ts';
import { KvorumError } from '../../core/errors.ts';
import { isHostPort } from '../../core/host-port.ts';
import type { StagedChange } from '../../core/membership/staged.ts';
import { ringNodeOf } from '../../core/membership/view.ts';
import type { RingNode } from '../../core/ring/types.ts';
import { jsonObjectBody } from './json-body.ts';
import { capacityProblem, httpUrlProblem, nodeAddressProblem, nodeNameProblem, zoneProblem } from '../../core/membership/member-fields.ts';

export interface PlanReport {
  readonly version: number;
  readonly staged: readonly StagedChange[];
  readonly moves: readonly { partition: number; from: string; to: string }[];
  readonly transfers: readonly { partition: number; from: string; to: string; keys: number | null; bytes: number | null }[];
  readonly totals: { readonly transfers: number; readonly keys: number; readonly bytes: number; readonly unknownSizes: number };
}

export interface MembershipBackend {
  self(): RingNode;
  /** A join is staged only once the joiner has answered this node (NodeRuntime.awaitHandshake). */
  stage(change: StagedChange): Promise<readonly StagedChange[]>;
  clearStaged(): void;
  plan(): Promise<PlanReport>;
  commit(): { version: number; transfers: number };
  /** Ends the running transition without finishing it (kvorum abort). */
  abort(): { version: number };
  transfers(): unknown;
  partitionSizes(): Promise<unknown>;
}

function nodeName(body: Record<string, unknown>, field: string): string {
  const name = body[field];
  const problem = nodeNameProblem(name);
  if (problem !== null) throw new KvorumError('bad_request', `${field}: ${problem}`);
  return name as string;
}

/**
 * The node a join names, held to what a gossiped view may hold (core/membership/member-fields.ts):
 * every member dials its address and clients route by its URL.
 */
function joiningNode(body: Record<string, unknown>): RingNode {
  const name = nodeName(body, 'name');
  const { address, httpUrl, clientAddress, capacity = 1, zone } = body;
  const problem = nodeAddressProblem(address) ?? httpUrlProblem(httpUrl) ?? capacityProblem(capacity) ?? zoneProblem(zone);
  if (problem !== null) throw new KvorumError('bad_request', problem);
  if (clientAddress !== undefined && clientAddress !== null && !isHostPort(clientAddress)) {
    throw new KvorumError('bad_request', `clientAddress must be host:port, got ${JSON.stringify(clientAddress)}`);
  }
  const node = { name, address: address as string, httpUrl: (httpUrl as string).replace(/\/$/, ''), capacity: capacity as number };
  return ringNodeOf({ ...node, clientAddress: typeof clientAddress === 'string' ? clientAddress : undefined, zone: typeof zone === 'string' ? zone : undefined });
}

export function registerMembershipRoutes(app: FastifyInstance, backend: MembershipBackend): void {
  app.get('/v1/cluster/self', { config: permits.monitor }, async () => backend.self());
  app.post('/v1/cluster/join', { config: permits.admin }, async (request) => ({ staged: await backend.stage({ action: 'join', node: joiningNode(jsonObjectBody(request.body)) }) }));
  app.post('/v1/cluster/leave', { config: permits.admin }, async (request) => {
    const body = jsonObjectBody(request.body);
    const name = body.node === undefined ? backend.self().name : nodeName(body, 'node');
    return { staged: await backend.stage({ action: 'leave', name }) };
  });
  app.post('/v1/cluster/remove', { config: permits.admin }, async (request) => ({ staged: await backend.stage({ action: 'remove', name: nodeName(jsonObjectBody(request.body), 'node') }) }));
  app.delete('/v1/cluster/staged', { config: permits.admin }, async () => {
    backend.clearStaged();
    return { staged: [] };
  });
  app.get('/v1/cluster/plan', { config: permits.monitor }, async () => backend.plan());
  app.post('/v1/cluster/commit', { config: permits.admin }, async () => backend.commit());
  app.post('/v1/cluster/abort', { config: permits.admin }, async () => backend.abort());
  app.get('/v1/transfers', { config: permits.monitor }, async () => backend.transfers());
  app.get('/v1/partitions', { config: permits.monitor }, async () => ({ partitions: await backend.partitionSizes() }));
}
