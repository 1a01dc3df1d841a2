import { test } from 'node:test';
import assert from 'node:assert/strict';
import { claim } from '../ring/claim.ts';
import { preferenceList } from '../ring/ring.ts';
import type { Ring } from '../ring/types.ts';
import { coveragePlan } from './coverage-plan.ts';

const nodes = ['n1', 'n2', 'n3', 'n4'].map((name, i) => ({ name, address: `127.0.0.1:${7001 + i}`, httpUrl: `http://127.0.0.1:${8001 + i}`, capacity: 1 }));
const ring: Ring = { partitionCount: 16, owners: claim(undefined, nodes, 16, 3), nodes: new Map(nodes.map((node) => [node.name, node])), version: 1 };

test('each partition is read from one of its replicas: this node first, then reachable ones in preference order', () => {
  const down = new Set(['n2']);
  const plan = coveragePlan(ring, 3, 'n1', (node) => !down.has(node));
  assert.equal(plan.length, 16);
  plan.forEach((candidates, partition) => {
    const replicas = preferenceList(ring, partition, 3);
    assert.deepEqual([...candidates].sort(), [...replicas].sort(), 'every replica, and only replicas');
    if (replicas.includes('n1')) assert.equal(candidates[0], 'n1');
    if (replicas.includes('n2')) assert.equal(candidates.at(-1), 'n2', 'an unreachable replica is tried last');
  });
});

test('without a first node, the primary is asked first (bucket names: it holds every bucket, whatever its N)', () => {
  const plan = coveragePlan(ring, 3, null, () => true);
  plan.forEach((candidates, partition) => assert.deepEqual(candidates, preferenceList(ring, partition, 3)));
});

test('a bucket of N = 1 is read from its only replica', () => {
  const plan = coveragePlan(ring, 1, 'n1', () => true);
  plan.forEach((candidates, partition) => assert.deepEqual(candidates, [ring.owners[partition]]));
});
