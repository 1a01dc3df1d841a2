/**
 * How fast a membership change reaches every node (issue 4 §1; Dynamo §4.8.1 gossips once a
 * second to a random peer). Real Membership instances (src/core/membership/) on a simulated
 * network: each node ticks on its own phase within the second, messages take 1-2 ms, and one
 * node learns a committed change (a node leaving) at time 0 — injected as if by gossip, without
 * the commit's own broadcast to every member, so the table measures gossip alone. Push-pull
 * spreads a rumour in about log3(n) + ln ln n rounds.
 */
import { configView } from '../../core/membership/initial-view.ts';
import { gossipOnlyHost } from '../../core/membership/gossip-only-host.ts';
import type { MembershipHost } from '../../core/membership/host.ts';
import { gossipIntervalMs, Membership } from '../../core/membership/membership.ts';
import { commitPlan, planChange } from '../../core/membership/plan.ts';
import type { ClusterView } from '../../core/membership/view.ts';
import type { PeerMessage } from '../../core/messages.ts';
import { EventQueue, microsPerMs } from '../event-queue.ts';
import { Prng } from '../prng.ts';

export interface GossipSpreadOptions {
  readonly nodeCounts: readonly number[];
  readonly trials: number;
  readonly seed: number;
  readonly partitionCount: number;
}

export const paperGossipSpreadOptions: GossipSpreadOptions = { nodeCounts: [10, 100, 1000], trials: 10, seed: 48, partitionCount: 1024 };

export interface GossipSpreadRow {
  readonly nodes: number;
  readonly trials: number;
  readonly meanMs: number;
  readonly maxMs: number;
  /** Gossip messages (pushes and answers) per node until the last node knew. */
  readonly messagesPerNode: number;
}

/** A trial gives up after this much simulated time (never reached in practice). */
const spreadMsMax = 120_000;
const latencyUsMin = 1_000;
const latencyUsMax = 2_000;

export function gossipSpreadTable(options: GossipSpreadOptions): GossipSpreadRow[] {
  return options.nodeCounts.map((count) => {
    const { base, changed } = views(count, options.partitionCount);
    const trials = Array.from({ length: options.trials }, (_, trial) => spreadOnce(base, changed, new Prng(options.seed * 1_000 + trial)));
    return {
      nodes: count,
      trials: options.trials,
      meanMs: trials.reduce((sum, t) => sum + t.elapsedMs, 0) / trials.length,
      maxMs: Math.max(...trials.map((t) => t.elapsedMs)),
      messagesPerNode: trials.reduce((sum, t) => sum + t.messages, 0) / trials.length / count,
    };
  });
}

function views(count: number, partitionCount: number): { base: ClusterView; changed: ClusterView } {
  const nodes = Array.from({ length: count }, (_, i) => ({ name: `n${i + 1}`, address: `sim:${i + 1}`, httpUrl: `http://sim:${i + 1}`, capacity: 1 }));
  const base = configView(nodes, partitionCount, 3);
  const changed = commitPlan(base, planChange(base, [{ action: 'leave', name: `n${count}` }], 3), 'n1');
  return { base, changed };
}

function spreadOnce(base: ClusterView, changed: ClusterView, prng: Prng): { elapsedMs: number; messages: number } {
  const queue = new EventQueue();
  const members = new Map<string, Membership>();
  let messages = 0;
  const knowing = new Set<string>();
  const hostFor = (name: string): MembershipHost =>
    gossipOnlyHost({
      self: name,
      nowMs: () => queue.nowMs,
      send: (to: string, message: PeerMessage) => {
        if (message.kind !== 'gossip') return; // transfers are not part of this measurement
        messages++;
        queue.after(prng.int(latencyUsMin, latencyUsMax), () => members.get(to)?.onMessage(name, message));
      },
    });
  for (const member of base.members) {
    const membership = new Membership(
      { self: member, seeds: new Map(), replicasN: 3, gossipSeed: prng.int(0, 2 ** 31), initialView: base },
      hostFor(member.name),
      (view) => {
        if (view.version >= changed.version) knowing.add(member.name);
      },
    );
    members.set(member.name, membership);
    scheduleTicks(queue, membership, prng.int(0, gossipIntervalMs * microsPerMs));
  }
  // Time 0 is a whole second in: every node has gossiped the base view once already.
  const startUs = gossipIntervalMs * microsPerMs;
  queue.at(startUs, () => members.get('n1')!.onMessage('operator', { kind: 'gossip', opId: 1, view: changed, senderAddress: 'sim:0' }));
  let startMessages = 0;
  queue.at(startUs, () => (startMessages = messages));
  for (let t = startUs; t <= startUs + spreadMsMax * microsPerMs && knowing.size < members.size; t += 10 * microsPerMs) queue.runUntil(t);
  return { elapsedMs: queue.nowMs - startUs / microsPerMs, messages: messages - startMessages };
}

function scheduleTicks(queue: EventQueue, membership: Membership, phaseUs: number): void {
  const tick = (): void => {
    membership.onTick();
    queue.after(gossipIntervalMs * microsPerMs, tick);
  };
  queue.at(phaseUs, tick);
}

export function formatGossipSpreadTable(rows: readonly GossipSpreadRow[]): string[] {
  return [
    '| nodes | trials | mean time to reach all (s) | worst trial (s) | mean rounds | gossip messages per node |',
    '| ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map((row) => `| ${row.nodes} | ${row.trials} | ${(row.meanMs / 1000).toFixed(2)} | ${(row.maxMs / 1000).toFixed(2)} | ${(row.meanMs / gossipIntervalMs).toFixed(1)} | ${row.messagesPerNode.toFixed(1)} |`),
  ];
}
