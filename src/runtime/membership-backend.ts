/**
 * What the HTTP API's membership routes call on a running node: operator commands go through
 * the core (NodeRuntime.command), and a plan is annotated with the size of every partition that
 * would move, asked of the node that would send it (GET /v1/partitions on each sender).
 */
import { ringNodeOf } from '../core/membership/view.ts';
import type { RingNode } from '../core/ring/types.ts';
import type { MembershipBackend, PlanReport } from './http/membership-routes.ts';
import type { NodeRuntime } from './node-runtime.ts';
import type { PartitionSize } from './partition-scan.ts';

/** How long a plan waits for a sender's partition sizes before reporting them unknown. */
const partitionSizesTimeoutMs = 5_000;

export function membershipBackendOf(runtime: NodeRuntime): MembershipBackend {
  return {
    self: () => runtime.node.membership.view.members.find((member) => member.name === runtime.settings.name) ?? selfFromSettings(runtime),
    stage: async (change) => {
      // A joiner that cannot talk to the cluster would be committed and never receive its
      // partitions: staged only once it has answered this node (issue 12 §2).
      if (change.action === 'join') await runtime.awaitHandshake(change.node);
      return runtime.command((membership) => membership.stage(change));
    },
    clearStaged: () => runtime.command((membership) => membership.clearStaged()),
    plan: () => planReport(runtime),
    commit: () => {
      const view = runtime.command((membership) => membership.commit());
      return { version: view.version, transfers: view.transfers.length };
    },
    abort: () => {
      const view = runtime.command((membership) => membership.abort());
      return { version: view.version };
    },
    transfers: () => ({ node: runtime.settings.name, version: runtime.ring.version, ...runtime.node.membership.transfers() }),
    partitionSizes: () => runtime.partitionSizes(),
  };
}

function selfFromSettings(runtime: NodeRuntime): RingNode {
  const self = runtime.settings.cluster.nodes.find((node) => node.name === runtime.settings.name)!;
  return ringNodeOf(self);
}

async function planReport(runtime: NodeRuntime): Promise<PlanReport> {
  const plan = runtime.command((membership) => membership.plan());
  const { view, staged } = runtime.node.membership;
  const senders = [...new Set(plan.transfers.map((transfer) => transfer.from))];
  const sizes = new Map<string, Map<number, PartitionSize>>();
  await Promise.all(
    senders.map(async (name) => {
      const found = await sizesOf(runtime, name, view.members.find((member) => member.name === name)?.httpUrl);
      if (found) sizes.set(name, new Map(found.map((size) => [size.partition, size])));
    }),
  );
  const transfers = plan.transfers.map((transfer) => {
    const known = sizes.get(transfer.from);
    const size = known?.get(transfer.partition);
    return { ...transfer, keys: known ? (size?.keys ?? 0) : null, bytes: known ? (size?.bytes ?? 0) : null };
  });
  const totals = {
    transfers: transfers.length,
    keys: transfers.reduce((sum, t) => sum + (t.keys ?? 0), 0),
    bytes: transfers.reduce((sum, t) => sum + (t.bytes ?? 0), 0),
    unknownSizes: transfers.filter((t) => t.keys === null).length,
  };
  return { version: view.version, staged, moves: plan.moves, transfers, totals };
}

async function sizesOf(runtime: NodeRuntime, name: string, httpUrl: string | undefined): Promise<PartitionSize[] | undefined> {
  if (name === runtime.settings.name) return runtime.partitionSizes();
  if (httpUrl === undefined) return undefined;
  try {
    const response = await fetch(`${httpUrl}/v1/partitions`, { signal: AbortSignal.timeout(partitionSizesTimeoutMs) });
    if (!response.ok) return undefined;
    return ((await response.json()) as { partitions: PartitionSize[] }).partitions;
  } catch {
    return undefined;
  }
}
