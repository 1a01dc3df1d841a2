/**
 * The HTTP contract of issue 2, end to end against three real node processes started through
 * the CLI: versions (3a–3d), quorum overrides, forwarding and error codes.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { nodeMetric, TestCluster } from './helpers/cluster.ts';

let cluster: TestCluster;
let counter = 0;
const uniqueKey = (label: string) => `${label}-${process.pid}-${counter++}`;

async function put(url: string, path: string, body: string, headers: Record<string, string> = {}) {
  return fetch(`${url}${path}`, { method: 'PUT', body, headers: { 'content-type': 'text/plain', ...headers } });
}

async function getJson(url: string, path: string) {
  const response = await fetch(`${url}${path}`, { headers: { accept: 'application/json' } });
  return { response, body: (await response.json()) as { context?: string; siblings: { value: string; contentType: string }[]; error?: { code: string } } };
}

const values = (body: { siblings: { value: string }[] }) => body.siblings.map((s) => Buffer.from(s.value, 'base64').toString()).sort();

before(async () => {
  cluster = await TestCluster.start({
    nodes: 3,
    buckets: { single: { n: 1, r: 1, w: 1 }, lww: { resolution: 'lww' } },
  });
  // Reads at R=3 need every node to see every other up: on a loaded machine a connection still
  // being set up when the first request goes out marks its peer down, and R=3 fails at once.
  await cluster.waitConnected();
});

after(async () => {
  await cluster?.stop();
});

describe('versions end to end', () => {
  test('a. a put with the context of the latest get supersedes what that get returned', async () => {
    const [n1, n2] = cluster.urls as [string, string];
    const path = `/v1/kv/carts/${uniqueKey('a')}`;
    assert.equal((await put(n1, path, 'v1')).status, 204);
    const first = await fetch(`${n2}${path}`);
    assert.equal(first.status, 200);
    assert.equal(await first.text(), 'v1');
    assert.equal(first.headers.get('content-type'), 'text/plain');
    const context = first.headers.get('x-kvorum-context');
    assert.ok(context);
    assert.equal((await put(n2, path, 'v2', { 'x-kvorum-context': context })).status, 204);
    const second = await fetch(`${n1}${path}?r=3`);
    assert.equal(second.status, 200);
    assert.equal(await second.text(), 'v2');
  });

  test('b. two puts without context both survive as siblings (300)', async () => {
    const [n1, n2] = cluster.urls as [string, string];
    const path = `/v1/kv/carts/${uniqueKey('b')}`;
    await put(n1, path, 'left');
    await put(n2, path, 'right');
    const response = await fetch(`${n1}${path}?r=3`);
    assert.equal(response.status, 300);
    const body = (await response.json()) as { context: string; siblings: { value: string }[] };
    assert.deepEqual(values(body), ['left', 'right']);
    assert.ok(body.context);
  });

  test('b. two puts with the same stale context through the same coordinator both survive', async () => {
    const [n1] = cluster.urls as [string];
    const path = `/v1/kv/carts/${uniqueKey('b2')}`;
    await put(n1, path, 'base');
    const stale = (await fetch(`${n1}${path}`)).headers.get('x-kvorum-context') as string;
    assert.equal((await put(n1, path, 'alice adds milk', { 'x-kvorum-context': stale })).status, 204);
    assert.equal((await put(n1, path, 'bob adds eggs', { 'x-kvorum-context': stale })).status, 204);
    const { response, body } = await getJson(n1, `${path}?r=3`);
    assert.equal(response.status, 200);
    assert.deepEqual(values(body), ['alice adds milk', 'bob adds eggs']);
  });

  test('c. a put whose context covers all siblings resolves them to its one value', async () => {
    const [n1, n2, n3] = cluster.urls as [string, string, string];
    const path = `/v1/kv/carts/${uniqueKey('c')}`;
    await put(n1, path, 'x');
    await put(n2, path, 'y');
    await put(n3, path, 'z');
    const { body } = await getJson(n3, `${path}?r=3`);
    assert.equal(body.siblings.length, 3);
    assert.equal((await put(n3, path, 'merged', { 'x-kvorum-context': body.context as string })).status, 204);
    for (const url of cluster.urls) {
      const response = await fetch(`${url}${path}?r=3`);
      assert.equal(response.status, 200);
      assert.equal(await response.text(), 'merged');
    }
  });

  test('d. a delete with a context leaves a tombstone that read repair and restarts do not undo', async () => {
    const [n1, n2] = cluster.urls as [string, string];
    const path = `/v1/kv/carts/${uniqueKey('d')}`;
    await put(n1, path, 'doomed');
    const context = (await fetch(`${n1}${path}?r=3`)).headers.get('x-kvorum-context') as string;
    const deleted = await fetch(`${n2}${path}`, { method: 'DELETE', headers: { 'x-kvorum-context': context } });
    assert.equal(deleted.status, 204);
    const gone = await fetch(`${n1}${path}?r=3`);
    assert.equal(gone.status, 404);
    assert.ok(gone.headers.get('x-kvorum-context'), 'a tombstone has a context');
    assert.equal(((await gone.json()) as { error: { code: string } }).error.code, 'not_found');
    // Restart every node: the tombstone is on disk, and the value stays deleted.
    for (const node of cluster.nodes) {
      await cluster.kill(node.name, 'SIGTERM');
      await cluster.startNode(node.name);
    }
    await cluster.waitConnected();
    for (const url of cluster.urls) assert.equal((await fetch(`${url}${path}?r=3`)).status, 404);
    const { response, body } = await getJson(n1, path);
    assert.equal(response.status, 404);
    assert.deepEqual(body.siblings, []);
    // The context is there until tombstone collection removes the tombstone from every replica,
    // which a slow restart gives it time to do (docs/handoff.md, "Tombstones").
  });

  test('a sibling and a concurrent delete: the value stays visible, the delete does not resurrect it', async () => {
    const [n1, n2] = cluster.urls as [string, string];
    const path = `/v1/kv/carts/${uniqueKey('del-race')}`;
    await put(n1, path, 'v1');
    const context = (await fetch(`${n1}${path}`)).headers.get('x-kvorum-context') as string;
    await fetch(`${n1}${path}`, { method: 'DELETE', headers: { 'x-kvorum-context': context } });
    await put(n2, path, 'v2', { 'x-kvorum-context': context });
    const response = await fetch(`${n1}${path}?r=3`);
    assert.equal(response.status, 200);
    assert.equal(await response.text(), 'v2');
  });

  test('a delete without a context deletes what a read at R sees (read-before-delete), siblings too', async () => {
    const [n1, n2] = cluster.urls as [string, string];
    const path = `/v1/kv/carts/${uniqueKey('del-blind')}`;
    await put(n1, path, 'left');
    await put(n2, path, 'right');
    assert.equal((await fetch(`${n1}${path}?r=3`)).status, 300);
    const deleted = await fetch(`${n2}${path}`, { method: 'DELETE' });
    assert.equal(deleted.status, 204);
    assert.ok(deleted.headers.get('x-kvorum-context'));
    for (const url of cluster.urls) assert.equal((await fetch(`${url}${path}?r=3`)).status, 404, url);
    // A write after the delete (it saw nothing of it) is a new value, visible again.
    await put(n1, path, 'again');
    assert.equal(await (await fetch(`${n2}${path}?r=3`)).text(), 'again');
    // Of a key nobody wrote: 204, as before.
    assert.equal((await fetch(`${n1}/v1/kv/carts/${uniqueKey('never')}`, { method: 'DELETE' })).status, 204);
  });

  test('lww buckets keep only the newest write', async () => {
    const [n1, n2] = cluster.urls as [string, string];
    const path = `/v1/kv/lww/${uniqueKey('lww')}`;
    await put(n1, path, 'first');
    await put(n2, path, 'second');
    const response = await fetch(`${n1}${path}?r=3`);
    assert.equal(response.status, 200);
    assert.equal(await response.text(), 'second');
  });

  test('binary values and keys that need percent-encoding roundtrip', async () => {
    const [n1, n2] = cluster.urls as [string, string];
    const key = `a/b c?d#é-${uniqueKey('enc')}`;
    const path = `/v1/kv/files/${encodeURIComponent(key)}`;
    const bytes = Buffer.from([0, 1, 2, 255, 254, 0x80]);
    const response = await fetch(`${n1}${path}`, { method: 'PUT', body: bytes, headers: { 'content-type': 'application/x-thing' } });
    assert.equal(response.status, 204);
    const read = await fetch(`${n2}${path}`);
    assert.equal(read.headers.get('content-type'), 'application/x-thing');
    assert.deepEqual(Buffer.from(await read.arrayBuffer()), bytes);
  });
});

describe('quorums and routing', () => {
  test('per-request R and W overrides are accepted within 1..N and refused outside', async () => {
    const [n1] = cluster.urls as [string];
    const path = `/v1/kv/q/${uniqueKey('q')}`;
    assert.equal((await put(n1, `${path}?w=3`, 'all three')).status, 204);
    const r1 = await fetch(`${n1}${path}?r=1`);
    assert.equal(r1.status, 200);
    const tooMany = await fetch(`${n1}${path}?r=4`);
    assert.equal(tooMany.status, 400);
    assert.equal(((await tooMany.json()) as { error: { code: string } }).error.code, 'bad_query');
    const zero = await put(n1, `${path}?w=0`, 'x');
    assert.equal(zero.status, 400);
  });

  test('a put sent to a node outside the key preference list is forwarded to one inside it', async () => {
    const ring = (await (await fetch(`${cluster.urls[0]}/v1/ring`)).json()) as { partitions: { preferenceList: string[] }[] };
    const { partitionOf } = await import('../src/core/ring/hash.ts');
    // Bucket "single" has n=1: exactly one node owns each key, so two of three must forward.
    const key = uniqueKey('fwd');
    const owner = ring.partitions[partitionOf('single', key, ring.partitions.length)]?.preferenceList[0] as string;
    const outsider = cluster.nodes.find((node) => node.name !== owner) as { httpUrl: string; name: string };
    const metric = (url: string) => nodeMetric(url, 'kvorum_forwarded_requests_total');
    const before = await metric(outsider.httpUrl);
    assert.equal((await put(outsider.httpUrl, `/v1/kv/single/${key}`, 'forwarded')).status, 204);
    assert.equal(await metric(outsider.httpUrl), before + 1);
    for (const url of cluster.urls) assert.equal(await (await fetch(`${url}/v1/kv/single/${key}`)).text(), 'forwarded');
  });
});

describe('errors', () => {
  const code = async (response: Response) => ((await response.json()) as { error: { code: string; message: string } }).error;

  test('bad bucket, key, context and query are 400 with a code', async () => {
    const [n1] = cluster.urls as [string];
    let response = await put(n1, `/v1/kv/${encodeURIComponent('no spaces')}/k`, 'x');
    assert.equal(response.status, 400);
    assert.equal((await code(response)).code, 'bad_bucket');
    response = await put(n1, `/v1/kv/b/${'k'.repeat(1025)}`, 'x');
    assert.equal(response.status, 400);
    assert.equal((await code(response)).code, 'bad_key');
    response = await put(n1, '/v1/kv/b/k', 'x', { 'x-kvorum-context': 'not-a-context!!' });
    assert.equal(response.status, 400);
    assert.equal((await code(response)).code, 'bad_context');
    response = await fetch(`${n1}/v1/kv/b/k?r=abc`);
    assert.equal(response.status, 400);
    assert.equal((await code(response)).code, 'bad_query');
    response = await fetch(`${n1}/v1/kv/b/k?bogus=1`);
    assert.equal(response.status, 400);
    assert.equal((await code(response)).code, 'bad_query');
  });

  test('a value over the limit is 413 and stores nothing', async () => {
    const [n1] = cluster.urls as [string];
    const path = `/v1/kv/b/${uniqueKey('big')}`;
    const response = await put(n1, path, 'x'.repeat(1024 * 1024 + 1));
    assert.equal(response.status, 413);
    assert.equal((await code(response)).code, 'value_too_large');
    assert.equal((await fetch(`${n1}${path}`)).status, 404);
  });

  test('a missing key is 404 not_found', async () => {
    const response = await fetch(`${cluster.urls[0]}/v1/kv/b/${uniqueKey('missing')}`);
    assert.equal(response.status, 404);
    assert.equal((await code(response)).code, 'not_found');
  });
});

describe('cluster views', () => {
  test('/v1/cluster lists every node with its addresses and status', async () => {
    const body = (await (await fetch(`${cluster.urls[0]}/v1/cluster`)).json()) as { nodes: { name: string; httpUrl: string; address: string; status: string }[] };
    assert.deepEqual(body.nodes.map((n) => n.name).sort(), ['n1', 'n2', 'n3']);
    for (const node of body.nodes) {
      assert.equal(node.httpUrl, cluster.node(node.name).httpUrl);
      assert.equal(node.address, cluster.node(node.name).address);
      assert.ok(['self', 'up', 'unknown'].includes(node.status));
    }
  });

  test('/v1/ring gives each partition a preference list of 3 distinct nodes', async () => {
    const body = (await (await fetch(`${cluster.urls[1]}/v1/ring`)).json()) as { partitionCount: number; partitions: { partition: number; preferenceList: string[] }[] };
    assert.equal(body.partitionCount, 64);
    assert.equal(body.partitions.length, 64);
    for (const p of body.partitions) assert.equal(new Set(p.preferenceList).size, 3);
  });

  test('/health answers ok', async () => {
    const body = (await (await fetch(`${cluster.urls[2]}/health`)).json()) as { status: string };
    assert.equal(body.status, 'ok');
  });
});

describe('batches (issue 12 §8)', () => {
  const batch = (url: string, bucket: string, body: unknown) =>
    fetch(`${url}/v1/kv/${bucket}/_batch`, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  const b64 = (text: string) => Buffer.from(text).toString('base64');
  const code = async (response: Response) => ((await response.json()) as { error: { code: string } }).error;

  test('gets, puts and deletes of many keys in one request, each key with its own result or error, in order', async () => {
    const [n1, n2] = cluster.urls as [string, string];
    const [a, b, c, gone] = ['a', 'b', 'c', 'gone'].map((label) => uniqueKey(`batch-${label}`)) as [string, string, string, string];
    await put(n1, `/v1/kv/carts/${gone}`, 'to delete');
    const wrote = await batch(n1, 'carts', {
      ops: [
        { op: 'put', key: a, value: b64('{"a":1}'), contentType: 'application/json' },
        { op: 'put', key: b, value: b64('bee') },
        { op: 'delete', key: gone },
        { op: 'put', key: c, value: 'not base64!' },
        { op: 'put', key: c, value: b64('x'), context: 'forged' },
        { op: 'frobnicate', key: c },
        { op: 'get', key: 'k'.repeat(2000) },
      ],
    });
    assert.equal(wrote.status, 200);
    const { results } = (await wrote.json()) as { results: { key: string; context?: string; error?: { code: string } }[] };
    assert.deepEqual(results.map((r) => r.key), [a, b, gone, c, c, c, 'k'.repeat(2000)]);
    assert.ok(results[0]!.context && results[1]!.context && results[2]!.context);
    assert.deepEqual(results.slice(3).map((r) => r.error?.code), ['bad_request', 'bad_context', 'bad_request', 'bad_key']);
    const read = await batch(n2, 'carts', { ops: [{ op: 'get', key: a }, { op: 'get', key: b, r: 3 }, { op: 'get', key: gone }, { op: 'get', key: uniqueKey('never') }], timeout: 3_000 });
    const got = ((await read.json()) as { results: { siblings: { value: string; contentType: string }[]; context?: string }[] }).results;
    assert.deepEqual(got[0]!.siblings.map((s) => [Buffer.from(s.value, 'base64').toString(), s.contentType]), [['{"a":1}', 'application/json']]);
    assert.deepEqual(got[1]!.siblings.map((s) => [Buffer.from(s.value, 'base64').toString(), s.contentType]), [['bee', 'application/octet-stream']]);
    assert.deepEqual(got[2]!.siblings, [], 'deleted (without a context: what a read saw)');
    assert.ok(got[2]!.context, 'a tombstone has a context');
    assert.deepEqual(got[3]!.siblings, [], 'a key nobody wrote: no siblings, no error');
    assert.equal(got[3]!.context, undefined);
    // The contexts a batch answers are the keys' own: a put with one supersedes.
    const again = await batch(n1, 'carts', { ops: [{ op: 'put', key: a, value: b64('{"a":2}'), contentType: 'application/json', context: got[0]!.context }] });
    assert.ok(((await again.json()) as { results: { context?: string }[] }).results[0]!.context);
    assert.equal(await (await fetch(`${n2}/v1/kv/carts/${a}?r=3`)).text(), '{"a":2}');
  });

  test('a batch over its limits, or not a batch, fails whole', async () => {
    const url = cluster.urls[0]!;
    const tooMany = await batch(url, 'carts', { ops: Array.from({ length: 257 }, (_, i) => ({ op: 'get', key: `k${i}` })) });
    assert.equal(tooMany.status, 413);
    assert.equal((await code(tooMany)).code, 'batch_too_large');
    // A body over 16 MiB is refused on its Content-Length, before it is read (so nothing is sent here).
    const tooBig = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const request = httpRequest(`${url}/v1/kv/carts/_batch`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(17 * 1024 * 1024) } }, (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      });
      request.on('error', reject);
      request.flushHeaders();
    });
    assert.equal(tooBig.status, 413);
    assert.equal((JSON.parse(tooBig.body) as { error: { code: string } }).error.code, 'batch_too_large');
    for (const body of ['not json', '[]', { ops: {} }, { ops: [], extra: 1 }]) {
      const response = await batch(url, 'carts', body);
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.equal((await code(response)).code, 'bad_request');
    }
    assert.equal((await code(await batch(url, 'bad bucket', { ops: [] }))).code, 'bad_bucket');
  });
});
