/**
 * Issue 4 §7(b), real processes: a node whose data dir is wiped comes back empty and
 * anti-entropy (Dynamo §4.7) refills it — without a single read, so read repair cannot be what
 * refilled it. The node's own count of stored keys (metric aae_keysStored, kept from the same
 * store outcomes as its hash trees) rises back to every key; then, with both other nodes
 * killed, every key is read at R = 1 from the refilled node's own replica.
 *
 * The cluster config shortens the exchange interval (`antiEntropyExchangeIntervalMs`, documented
 * in docs/anti-entropy.md) so that a sweep of 64 partitions takes seconds. Every wait is bounded;
 * nothing asserts a duration.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { nodeMetric as metric, TestCluster, waitFor } from './helpers/cluster.ts';

const keysCount = 150;
const bucket = 'aae';
const refillTimeoutMs = 90_000;

let cluster: TestCluster;

before(async () => {
  cluster = await TestCluster.start({ nodes: 3, extra: { antiEntropyExchangeIntervalMs: 25 } });
  await cluster.waitConnected();
});

after(async () => {
  await cluster?.stop();
});

function keyOf(i: number): string {
  return `key-${i}`;
}

test('a wiped node is refilled by anti-entropy alone, then serves every key from its own replica', { timeout: 240_000 }, async () => {
  const [n1, n2, n3] = cluster.nodes as [typeof cluster.nodes[0], typeof cluster.nodes[0], typeof cluster.nodes[0]];
  for (let i = 0; i < keysCount; i++) {
    const response = await fetch(`${n1.httpUrl}/v1/kv/${bucket}/${keyOf(i)}?w=3`, { method: 'PUT', body: `value ${i}`, headers: { 'content-type': 'text/plain' } });
    assert.equal(response.status, 204, `put ${keyOf(i)} at W=3: ${response.status} ${await response.text()}`);
  }
  await waitFor('every node to count every key', async () => {
    for (const node of cluster.nodes) if ((await metric(node.httpUrl, 'kvorum_aae_keys_stored')) < keysCount) return undefined;
    return true;
  }, refillTimeoutMs);

  await cluster.kill(n3.name);
  rmSync(n3.dataDir, { recursive: true, force: true });
  await cluster.startNode(n3.name);
  await cluster.waitConnected();

  const refilled = await waitFor('anti-entropy to refill the wiped node', async () => {
    const stored = await metric(n3.httpUrl, 'kvorum_aae_keys_stored');
    return stored >= keysCount ? stored : undefined;
  }, refillTimeoutMs);
  assert.equal(refilled, keysCount);
  for (const node of cluster.nodes) assert.equal(await metric(node.httpUrl, 'kvorum_client_requests_total', { op: 'get' }), 0, `${node.name} served no read: read repair did not refill`);
  assert.ok((await metric(n3.httpUrl, 'kvorum_aae_keys_received_total')) + (await metric(n1.httpUrl, 'kvorum_aae_keys_repaired_total')) > 0);

  await cluster.kill(n1.name);
  await cluster.kill(n2.name);
  for (let i = 0; i < keysCount; i++) {
    const response = await fetch(`${n3.httpUrl}/v1/kv/${bucket}/${keyOf(i)}?r=1`);
    assert.equal(response.status, 200, `${keyOf(i)} from ${n3.name} alone`);
    assert.equal(await response.text(), `value ${i}`);
  }
});
