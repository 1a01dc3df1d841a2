/**
 * The binary client protocol end to end, against three real node processes: the same results
 * as HTTP for every kind of value, siblings and deletes; contexts that move between the two
 * protocols; many requests in flight on one connection, answered out of order; errors with
 * HTTP's codes; a malformed frame that closes only its own connection; and the client failing
 * over when a node is killed.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, KvorumError, type KvorumClient } from '../src/client/index.ts';
import { TestCluster } from './helpers/cluster.ts';
import { FrameClient, type Frame } from './helpers/frame-client.ts';

/** Small, so that the limits are quick to reach. */
const valueBytesMax = 4096;
const clientInflightMax = 8;

let cluster: TestCluster;
/** The client over binary only: given client addresses, it needs no HTTP at all. */
let client: KvorumClient;
let counter = 0;
const uniqueKey = (label: string) => `${label}-${process.pid}-${counter++}`;
const text = (siblings: readonly { value: Uint8Array }[]) => siblings.map((s) => Buffer.from(s.value).toString()).sort();
const codeOf = (frame: Frame) => (frame.error as { code: string } | undefined)?.code;

before(async () => {
  cluster = await TestCluster.start({ nodes: 3, extra: { valueBytesMax, clientInflightMax } });
  client = connect({ nodes: cluster.clientUrls });
});

after(async () => {
  await client?.close();
  await cluster?.stop();
});

async function httpGet(url: string, bucket: string, key: string) {
  const response = await fetch(`${url}/v1/kv/${bucket}/${encodeURIComponent(key)}?r=3`, { headers: { accept: 'application/json' } });
  const body = (await response.json()) as { context?: string; siblings: { value: string; contentType: string; lastModifiedMs: number }[] };
  return { status: response.status, context: response.headers.get('x-kvorum-context') ?? undefined, siblings: body.siblings.map((s) => ({ ...s, value: Buffer.from(s.value, 'base64') })) };
}

async function httpPut(url: string, bucket: string, key: string, body: Uint8Array | string, contentType: string, context?: string) {
  const headers: Record<string, string> = { 'content-type': contentType };
  if (context) headers['x-kvorum-context'] = context;
  const response = await fetch(`${url}/v1/kv/${bucket}/${encodeURIComponent(key)}`, { method: 'PUT', body, headers });
  assert.equal(response.status, 204);
  return response.headers.get('x-kvorum-context')!;
}

describe('binary protocol: the same data and contexts as HTTP', () => {
  test('JSON, binary, empty and text values read back alike over both protocols', async () => {
    const [n1, n2] = cluster.urls as [string, string];
    const values: [string, Uint8Array, string][] = [
      ['json', Buffer.from(JSON.stringify({ cart: ['milk', 'eggs'], n: 2 })), 'application/json'],
      ['binary', new Uint8Array([0, 255, 1, 254, 0, 0, 10, 13]), 'application/octet-stream'],
      ['empty', new Uint8Array(), 'application/octet-stream'],
      ['text', Buffer.from('grüße, 世界'), 'text/plain; charset=utf-8'],
    ];
    for (const [label, value, contentType] of values) {
      const overBinary = uniqueKey(`${label}-bin`);
      await client.put('values', overBinary, value, { contentType });
      const viaHttp = await httpGet(n1, 'values', overBinary);
      assert.equal(viaHttp.status, 200, label);
      assert.deepEqual([...viaHttp.siblings[0]!.value], [...value], label);
      assert.equal(viaHttp.siblings[0]!.contentType, contentType, label);

      const overHttp = uniqueKey(`${label}-http`);
      await httpPut(n2, 'values', overHttp, value, contentType);
      const viaBinary = await client.get('values', overHttp, { r: 3 });
      assert.equal(viaBinary.siblings.length, 1, label);
      assert.deepEqual([...viaBinary.siblings[0]!.value], [...value], label);
      assert.equal(viaBinary.siblings[0]!.contentType, contentType, label);
      assert.equal(typeof viaBinary.siblings[0]!.lastModifiedMs, 'number');
    }
  });

  test('a context read over HTTP supersedes over binary, and back', async () => {
    const [n1] = cluster.urls as [string];
    const key = uniqueKey('ctx');
    await httpPut(n1, 'carts', key, 'v1', 'text/plain');
    const fromHttp = await httpGet(n1, 'carts', key);
    await client.put('carts', key, 'v2', { context: fromHttp.context });
    const afterBinaryPut = await httpGet(n1, 'carts', key);
    assert.deepEqual(text(afterBinaryPut.siblings), ['v2']);
    const fromBinary = await client.get('carts', key, { r: 3 });
    assert.equal(fromBinary.context, afterBinaryPut.context, 'the same token both ways');
    await httpPut(n1, 'carts', key, 'v3', 'text/plain', fromBinary.context);
    assert.deepEqual(text((await client.get('carts', key, { r: 3 })).siblings), ['v3']);
  });

  test('concurrent writes leave siblings; a context covering them resolves them, across protocols', async () => {
    const [n1] = cluster.urls as [string];
    const key = uniqueKey('siblings');
    await client.put('carts', key, 'left');
    await client.put('carts', key, 'right');
    const both = await client.get('carts', key, { r: 3 });
    assert.deepEqual(text(both.siblings), ['left', 'right']);
    const viaHttp = await fetch(`${n1}/v1/kv/carts/${key}?r=3`);
    assert.equal(viaHttp.status, 300);
    await viaHttp.body?.cancel();
    await httpPut(n1, 'carts', key, 'merged', 'text/plain', both.context);
    assert.deepEqual(text((await client.get('carts', key, { r: 3 })).siblings), ['merged']);
  });

  test('a delete leaves no sibling but a context, as HTTP answers 404 with one; a missing key has neither', async () => {
    const [n1] = cluster.urls as [string];
    const key = uniqueKey('delete');
    await client.put('carts', key, 'doomed');
    const read = await client.get('carts', key, { r: 3 });
    const { context } = await client.delete('carts', key, { context: read.context });
    assert.ok(context);
    const gone = await client.get('carts', key, { r: 3 });
    assert.deepEqual(gone.siblings, []);
    assert.ok(gone.context, 'a tombstone has a context');
    const viaHttp = await httpGet(n1, 'carts', key);
    assert.equal(viaHttp.status, 404);
    assert.equal(viaHttp.context, gone.context);
    assert.deepEqual(await client.get('carts', uniqueKey('never-written')), { siblings: [], context: undefined });
  });
});

describe('binary protocol: one connection, many requests', () => {
  test('replies come back by id, out of order: a ping overtakes the writes sent before it', async () => {
    const { client: raw, welcome } = await FrameClient.open(cluster.nodes[0]!.clientAddress);
    try {
      assert.equal(welcome.node, 'n1');
      assert.equal((welcome.limits as { inflightMax: number }).inflightMax, clientInflightMax);
      const writes = Array.from({ length: clientInflightMax }, (_, i) => ({ id: 100 + i, op: 'put', bucket: 'pipe', key: uniqueKey('pipe'), value: Buffer.from(`v${i}`), w: 3 }));
      raw.send(...writes, { id: 7, op: 'ping' }, { id: 8, op: 'ring' });
      const replies = await raw.next(writes.length + 2);
      assert.deepEqual(replies[0], { id: 7 }, 'the ping is answered before the writes it followed');
      assert.equal(replies[1]!.id, 8);
      assert.equal((replies[1]!.ring as { partitionCount: number }).partitionCount, 64);
      assert.deepEqual(
        replies
          .slice(2)
          .map((reply) => reply.id)
          .sort(),
        writes.map((write) => write.id),
      );
      for (const reply of replies.slice(2)) assert.equal(typeof reply.context, 'string');
    } finally {
      raw.close();
    }
  });

  test('the client keeps hundreds of requests in flight over one connection per node', async () => {
    const keys = Array.from({ length: 300 }, () => uniqueKey('many'));
    const opened = await cluster.metricSum('kvorum_binary_connections_opened_total');
    await Promise.all(keys.map((key) => client.put('many', key, key)));
    const read = await Promise.all(keys.map((key) => client.get('many', key)));
    assert.deepEqual(
      read.map((result) => text(result.siblings)[0]),
      keys,
    );
    assert.ok((await cluster.metricSum('kvorum_binary_requests_total')) >= 600);
    assert.ok((await cluster.metricSum('kvorum_binary_connections_opened_total')) - opened <= cluster.nodes.length, 'at most one new connection per node');
  });
});

describe('binary protocol: errors', () => {
  test("each mistake gets HTTP's code, and the connection carries on", async () => {
    const { client: raw } = await FrameClient.open(cluster.nodes[1]!.clientAddress);
    try {
      raw.send(
        { id: 1, op: 'get', bucket: 'no spaces', key: 'k' },
        { id: 2, op: 'put', bucket: 'b', key: 'k', value: new Uint8Array(valueBytesMax + 1) },
        { id: 3, op: 'put', bucket: 'b', key: 'k', value: Buffer.from('x'), context: 'not a token' },
        { id: 4, op: 'get', bucket: 'b', key: 'k', r: 4 },
        { id: 5, op: 'scan', bucket: 'b' },
        { id: 6, op: 'ping' },
      );
      const byId = new Map((await raw.next(6)).map((reply) => [reply.id, codeOf(reply)]));
      assert.deepEqual(Object.fromEntries(byId), { 1: 'bad_bucket', 2: 'value_too_large', 3: 'bad_context', 4: 'bad_query', 5: 'bad_request', 6: undefined });
    } finally {
      raw.close();
    }
    await assert.rejects(client.put('b', 'k', new Uint8Array(valueBytesMax + 1)), (error: unknown) => error instanceof KvorumError && error.code === 'value_too_large');
    await assert.rejects(client.get('no spaces', 'k'), (error: unknown) => error instanceof KvorumError && error.code === 'bad_bucket');
  });

  test('beyond the in-flight limit a request is answered overloaded, not disconnected', async () => {
    const { client: raw } = await FrameClient.open(cluster.nodes[2]!.clientAddress);
    try {
      const count = clientInflightMax + 4;
      // One write: the node reads them all before any can finish.
      raw.send(...Array.from({ length: count }, (_, i) => ({ id: i, op: 'put', bucket: 'busy', key: uniqueKey('busy'), value: Buffer.from('x'), w: 3 })));
      const replies = await raw.next(count);
      const overloaded = replies.filter((reply) => codeOf(reply) === 'overloaded').map((reply) => reply.id as number);
      assert.deepEqual(overloaded.sort((a, b) => a - b), [8, 9, 10, 11]);
      assert.equal(replies.filter((reply) => typeof reply.context === 'string').length, clientInflightMax);
      raw.send({ id: 99, op: 'ping' });
      assert.deepEqual(await raw.next(1), [{ id: 99 }]);
    } finally {
      raw.close();
    }
  });

  test('a malformed frame closes only its own connection; the node keeps serving', async () => {
    const address = cluster.nodes[0]!.clientAddress;
    const { client: bystander } = await FrameClient.open(address);
    const { client: culprit } = await FrameClient.open(address);
    try {
      culprit.sendRaw(Buffer.from([0, 0, 0, 3, 0xc1, 0xc1, 0xc1]));
      await culprit.waitClosed();
      const closing = culprit.frames.at(-1)!;
      assert.equal(closing.id, undefined);
      assert.equal(codeOf(closing), 'bad_request');
      bystander.send({ id: 1, op: 'ping' });
      assert.deepEqual(await bystander.next(1), [{ id: 1 }]);
      await client.put('carts', uniqueKey('after-garbage'), 'still here');
      assert.equal((await fetch(`${cluster.urls[0]}/health`)).status, 200);
      assert.ok((await cluster.metricSum('kvorum_binary_protocol_errors_total')) >= 1);
    } finally {
      bystander.close();
      culprit.close();
    }
  });
});

describe('binary protocol: failover', () => {
  test('the client goes on through the other nodes when one is killed mid-load', async () => {
    const keys = Array.from({ length: 24 }, (_, i) => `survivor-${i}`);
    for (const key of keys) await client.put('failover', key, 'v0');
    let killed = false;
    let afterKill = 0;
    const failures: unknown[] = [];
    // Each key's loop reads and writes until n1 is gone, and five times more after.
    const load = async (key: string) => {
      for (let round = 0, roundsAfterKill = 0; roundsAfterKill < 5; round++) {
        try {
          const read = await client.get('failover', key);
          await client.put('failover', key, `v${round}`, { context: read.context });
        } catch (error) {
          failures.push(error);
        }
        if (killed) {
          roundsAfterKill++;
          afterKill++;
        }
      }
    };
    const running = Promise.all(keys.map(load));
    await new Promise((resolve) => setTimeout(resolve, 300));
    await cluster.kill('n1');
    killed = true;
    await running;
    assert.deepEqual(failures, []);
    assert.ok(afterKill >= keys.length * 5);
    for (const key of keys) assert.ok((await client.get('failover', key)).siblings.length >= 1);
  });
});
