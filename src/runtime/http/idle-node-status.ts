/**
 * A node's status with nothing happening, for tests of the HTTP app with a made-up backend
 * (app.test.ts, route-permissions.test.ts): one node, ready, every counter zero.
 */
import { coreCounterNames } from '../../core/counters.ts';
import type { NodeStatus } from '../../core/status.ts';

export function idleNodeStatus(): NodeStatus {
  return {
    name: 'n1',
    nowMs: 0,
    notReadyBecause: null,
    viewConfirmed: true,
    epochsKnown: true,
    ring: { version: 1, partitionCount: 8, transition: false },
    members: [],
    counters: Object.fromEntries(coreCounterNames.map((name) => [name, 0])) as NodeStatus['counters'],
    inflight: 0,
    hints: { pending: 0, pendingByOwner: {}, delivering: 0 },
    antiEntropy: { keysStored: 0, rateShare: 1 },
    transfers: { pending: [], local: [] },
  };
}
