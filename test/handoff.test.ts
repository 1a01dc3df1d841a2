/**
 * Issue 4 §7a: hinted handoff with real processes. Four nodes (N=3, W=2): one replica is killed
 * with SIGKILL during a stream of writes; the writes keep succeeding (sloppy quorum, Dynamo §4.6),
 * the survivors hold hints for it (the `hints.pending` metric), and once it is restarted the
 * hints drain to zero and every acknowledged write is readable at R=3 — from the three primaries,
 * the restarted node among them.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type KvorumClient } from '../src/client/index.ts';
import { TestCluster, waitFor } from './helpers/cluster.ts';

let cluster: TestCluster;
let client: KvorumClient;

before(async () => {
  cluster = await TestCluster.start({ nodes: 4 });
  await cluster.waitConnected();
  client = connect({ nodes: cluster.urls, timeoutMs: 3_000 });
});

after(async () => {
  await client?.close();
  await cluster?.stop();
});

describe('hinted handoff', () => {
  test('kill -9 a replica during W=2 writes: writes succeed, hints accumulate, then drain; all readable at R=3', async () => {
    const acknowledged = new Map<string, string>();
    const write = async (i: number) => {
      const key = `order-${i}`;
      await client.put('orders', key, `v${i}`, { w: 2 });
      acknowledged.set(key, `v${i}`);
    };
    for (let i = 0; i < 40; i++) await write(i);
    await cluster.kill('n2');
    // Writes right after the kill may wait for the failure detector; all of them must succeed.
    for (let i = 40; i < 200; i++) await write(i);
    assert.equal(acknowledged.size, 200);
    const pending = await cluster.metricSum('kvorum_hints_pending');
    assert.ok(pending > 0, `the survivors hold hints for n2 (hints.pending = ${pending})`);

    await cluster.startNode('n2');
    await cluster.waitConnected();
    await waitFor('hints to drain', async () => ((await cluster.metricSum('kvorum_hints_pending')) === 0 ? true : undefined), 30_000);
    assert.ok((await cluster.metricSum('kvorum_hints_delivered_total')) > 0, 'hints were delivered');
    for (const [key, value] of acknowledged) {
      const { siblings } = await client.get('orders', key, { r: 3 });
      assert.deepEqual(siblings.map((s) => Buffer.from(s.value).toString()), [value], key);
    }
  });
});
