import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from '../../src/client/index.ts';
import { cannedContentType, cannedContext, cannedValue, startCannedNode } from './canned-node.ts';
import { measureClientCost } from './run.ts';

test('the canned node answers the real client as a node would: ring, get, put, delete', async () => {
  const node = await startCannedNode();
  const kv = connect({ nodes: [`kvorum://127.0.0.1:${node.port}`] });
  try {
    assert.deepEqual(await kv.route('b', 'k'), [`http://127.0.0.1:${node.port}`]);
    const read = await kv.get('b', 'k');
    assert.equal(read.context, cannedContext);
    assert.equal(read.siblings.length, 1);
    assert.ok(cannedValue.equals(read.siblings[0]!.value));
    assert.equal(read.siblings[0]!.contentType, cannedContentType);
    assert.deepEqual(await kv.put('b', 'k', 'v', { context: read.context }), { context: cannedContext });
    assert.deepEqual(await kv.delete('b', 'k'), { context: cannedContext });
  } finally {
    await kv.close();
    await node.stop();
  }
});

test('measureClientCost counts the requests answered and the CPU they took', async () => {
  const cost = await measureClientCost({ seconds: 0.5, warmupSeconds: 0.2, concurrency: 4 });
  assert.ok(cost.requests > 0, `requests ${cost.requests}`);
  assert.ok(Number.isFinite(cost.cpuUsPerRequest) && cost.cpuUsPerRequest > 0, `cpu ${cost.cpuUsPerRequest}`);
  assert.ok(cost.requestsPerSec > 0);
});
