import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, KvorumError } from '../../src/client/index.ts';
import { cannedContentType, cannedValue } from './canned-backend.ts';
import { measureClientCost, startCannedNode } from './client-cost.ts';

test('the canned node is a node to the real client: ring, get, put and delete, its tokens checked, its limits held', async () => {
  const node = await startCannedNode();
  const kv = connect({ nodes: [`kvorum://127.0.0.1:${node.port}`] });
  try {
    assert.deepEqual(await kv.route('b', 'k'), [`http://127.0.0.1:${node.port}`]);
    const read = await kv.get('b', 'k');
    assert.equal(read.siblings.length, 1);
    assert.ok(cannedValue.equals(read.siblings[0]!.value));
    assert.equal(read.siblings[0]!.contentType, cannedContentType);
    assert.equal(typeof read.context, 'string');
    const { context } = await kv.put('b', 'k', 'v', { context: read.context });
    assert.equal(typeof context, 'string');
    assert.equal(typeof (await kv.delete('b', 'k', { context })).context, 'string');
    // The real protocol server is in front: a token read from another key is refused, and so is a key past the limit.
    await assert.rejects(kv.put('b', 'other', 'v', { context: read.context }), (error: unknown) => error instanceof KvorumError && error.code === 'bad_context');
    await assert.rejects(kv.get('b', 'k'.repeat(2_000)), (error: unknown) => error instanceof KvorumError && error.code === 'bad_key');
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
