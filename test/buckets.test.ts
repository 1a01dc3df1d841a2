/**
 * Listing keys and buckets (issue 12 §6) and bucket properties set while the cluster runs
 * (issue 12 §7), on three real node processes, through HTTP, the TypeScript client (both
 * protocols) and the CLI. One cluster for the file; the test that kills and restarts nodes runs
 * last.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, KvorumError, type KvorumClient } from '../src/client/index.ts';
import { kvorum, kvorumFails } from './helpers/cli.ts';
import { TestCluster, waitFor } from './helpers/cluster.ts';

let cluster: TestCluster;
let client: KvorumClient;
let httpClient: KvorumClient;

/** Keys in UTF-8 byte order, as listings answer them (not JavaScript's string order). */
const byBytes = (keys: Iterable<string>) => [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
/** What the bucket `listed` holds after `before`: live keys only. */
const live = new Set<string>();

async function json<T>(url: string, init?: RequestInit): Promise<{ status: number; body: T }> {
  const response = await fetch(url, init);
  return { status: response.status, body: (await response.json()) as T };
}

before(async () => {
  cluster = await TestCluster.start({ nodes: 3, partitionCount: 32, buckets: { small: { n: 2, r: 1, w: 1 } } });
  client = connect({ nodes: [cluster.urls[0]!] });
  httpClient = connect({ nodes: [cluster.urls[1]!], protocol: 'http' });
  // Keys that sort differently by bytes and by UTF-16, one that needs percent-encoding, and some
  // deleted: a listing answers live keys only.
  const keys = [...Array.from({ length: 230 }, (_, i) => `key-${String(i).padStart(3, '0')}`), 'a/b c', 'é', '\uFFFD-not', '😀', 'z'];
  for (const key of keys.filter((key) => key !== '\uFFFD-not')) {
    await client.put('listed', key, 'v');
    live.add(key);
  }
  await client.put('listed', 'ﬀ', 'v');
  live.add('ﬀ');
  for (const key of ['key-007', 'key-100', 'z']) {
    await client.delete('listed', key);
    live.delete(key);
  }
  await client.put('other', 'one', 'v');
});

after(async () => {
  await client?.close();
  await httpClient?.close();
  await cluster?.stop();
});

describe('listing keys', () => {
  test('HTTP pages through the live keys in byte order: limit, after, next', async () => {
    const url = cluster.urls[2]!;
    const seen: string[] = [];
    let after: string | undefined;
    let pages = 0;
    do {
      const query = new URLSearchParams({ limit: '50', ...(after === undefined ? {} : { after }) });
      const { status, body } = await json<{ keys: string[]; next?: string }>(`${url}/v1/kv/listed?${query}`);
      assert.equal(status, 200);
      assert.ok(body.keys.length <= 50);
      if (body.next !== undefined) assert.equal(body.next, body.keys.at(-1));
      seen.push(...body.keys);
      after = body.next;
      pages++;
    } while (after !== undefined);
    assert.deepEqual(seen, byBytes(live));
    assert.ok(pages >= 5);
    // The default page holds them all; a key after which nothing comes gives an empty, last page.
    assert.deepEqual((await json<{ keys: string[] }>(`${url}/v1/kv/listed`)).body.keys, byBytes(live));
    assert.deepEqual((await json<{ keys: string[]; next?: string }>(`${url}/v1/kv/listed?after=${encodeURIComponent('😀')}`)).body, { keys: [] });
    assert.deepEqual((await json<{ keys: string[] }>(`${url}/v1/kv/nothing-here`)).body, { keys: [] });
  });

  test('bad listings get a code: limit out of range, an unknown parameter, a bad bucket', async () => {
    const url = cluster.urls[0]!;
    for (const [path, code] of [
      ['/v1/kv/listed?limit=0', 'bad_query'],
      ['/v1/kv/listed?limit=10001', 'bad_query'],
      ['/v1/kv/listed?r=2', 'bad_query'],
      ['/v1/kv/bad%20bucket', 'bad_bucket'],
    ] as const) {
      const { status, body } = await json<{ error: { code: string } }>(`${url}${path}`);
      assert.equal(body.error.code, code, path);
      assert.equal(status, 400);
    }
  });

  test('the client lists pages and iterates every key, over the binary protocol and HTTP', async () => {
    for (const kv of [client, httpClient]) {
      const page = await kv.listKeys('listed', { limit: 7 });
      assert.deepEqual(page.keys, byBytes(live).slice(0, 7));
      assert.equal(page.next, page.keys.at(-1));
      const all: string[] = [];
      for await (const key of kv.keys('listed', { pageSize: 40 })) all.push(key);
      assert.deepEqual(all, byBytes(live));
    }
    await assert.rejects(client.listKeys('listed', { limit: 0 }), (error: unknown) => error instanceof KvorumError && error.code === 'bad_query');
  });

  test('kvorum keys prints every key, one per line; --limit and --after page it', async () => {
    const url = cluster.urls[1]!;
    assert.deepEqual((await kvorum(['keys', 'listed', '--url', url])).split('\n').slice(0, -1), byBytes(live));
    assert.equal(await kvorum(['keys', 'listed', '--limit', '3', '--after', 'key-005', '--url', url]), 'key-006\nkey-008\nkey-009\n');
  });

  test('GET /v1/buckets, the client and kvorum buckets name the buckets', async () => {
    const { body } = await json<{ buckets: string[]; truncated: boolean }>(`${cluster.urls[0]}/v1/buckets`);
    assert.deepEqual(body, { buckets: ['listed', 'other'], truncated: false });
    assert.deepEqual(await client.listBuckets(), body);
    assert.deepEqual(await httpClient.listBuckets(), body);
    assert.equal(await kvorum(['buckets', '--url', cluster.urls[2]!]), 'listed\nother\n');
  });
});

describe('bucket properties at run time', () => {
  test('PUT /v1/buckets/{bucket} sets them; every node learns them by gossip; they apply to requests', async () => {
    const [n1, n2, n3] = cluster.urls as [string, string, string];
    const { status, body } = await json<{ props: Record<string, unknown> }>(`${n1}/v1/buckets/newest`, { method: 'PUT', body: JSON.stringify({ resolution: 'lww', r: 1 }) });
    assert.equal(status, 200);
    assert.deepEqual(body.props, { n: 3, r: 1, w: 2, resolution: 'lww', pr: 0, pw: 0, durability: 'one' });
    for (const url of [n2, n3]) {
      await waitFor(`${url} to learn the bucket`, async () => ((await json<{ props: { resolution: string } }>(`${url}/v1/buckets/newest`)).body.props.resolution === 'lww' ? true : undefined));
    }
    // lww: two writes with no context leave one value, not siblings.
    await fetch(`${n2}/v1/kv/newest/k`, { method: 'PUT', body: 'first' });
    await fetch(`${n3}/v1/kv/newest/k`, { method: 'PUT', body: 'second' });
    const read = await fetch(`${n1}/v1/kv/newest/k?r=3`);
    assert.equal(read.status, 200);
    assert.equal(await read.text(), 'second');
    // A bucket with properties is a bucket, keys or not.
    assert.ok((await client.listBuckets()).buckets.includes('newest'));
  });

  test('N changes only while the bucket holds no keys (tombstones count); other properties whenever', async () => {
    const url = cluster.urls[0]!;
    const set = (bucket: string, props: unknown) => json<{ props?: { n: number }; error?: { code: string; message: string } }>(`${url}/v1/buckets/${bucket}`, { method: 'PUT', body: JSON.stringify(props) });
    assert.equal((await set('fresh', { n: 1, r: 1, w: 1 })).body.props?.n, 1);
    const refused = await set('listed', { n: 2, r: 1, w: 1 });
    assert.equal(refused.status, 409);
    assert.equal(refused.body.error?.code, 'bucket_not_empty');
    await client.put('gone', 'only', 'x');
    await client.delete('gone', 'only');
    assert.equal((await set('gone', { n: 2, r: 1, w: 1 })).body.error?.code, 'bucket_not_empty', 'a bucket of tombstones holds keys');
    assert.equal((await set('listed', { r: 1, durability: 'sync' })).status, 200);
    for (const [props, pattern] of [
      [{ n: 4, r: 1, w: 1 }, /n must be at most 3/],
      [{ r: 4 }, /r must be/],
      [{ colour: 'blue' }, /unknown bucket property/],
      [{ resolution: 'newest' }, /resolution/],
    ] as const) {
      const { status, body } = await set('fresh', props);
      assert.equal(status, 400);
      assert.equal(body.error?.code, 'bad_bucket_props');
      assert.match(body.error?.message ?? '', pattern);
    }
    const notJson = await fetch(`${url}/v1/buckets/fresh`, { method: 'PUT', body: '[1]', headers: { 'content-type': 'application/json' } });
    assert.equal(notJson.status, 400);
  });

  test('the client and kvorum bucket show and set them', async () => {
    assert.deepEqual(await client.setBucketProps('by-client', { r: 1, w: 1 }), { n: 3, r: 1, w: 1, resolution: 'siblings', pr: 0, pw: 0, durability: 'one' });
    assert.equal((await httpClient.bucketProps('small')).n, 2, 'a bucket of the cluster config');
    await assert.rejects(client.setBucketProps('listed', { n: 1, r: 1, w: 1 }), (error: unknown) => error instanceof KvorumError && error.code === 'bucket_not_empty');
    const url = cluster.urls[2]!;
    assert.match(await kvorum(['bucket', 'by-cli', '--n', '2', '--r', '1', '--w', '1', '--durability', 'buffered', '--url', url]), /bucket by-cli: n=2 r=1 w=1 pr=0 pw=0 resolution=siblings durability=buffered/);
    assert.match(await kvorum(['bucket', 'by-cli', '--url', cluster.urls[0]!]), /n=2/);
    assert.match(await kvorumFails(['bucket', 'listed', '--n', '1', '--r', '1', '--w', '1', '--url', url]), /bucket_not_empty/);
  });

  test('a listing reads past a dead replica; settings survive a restart of every node (kept on disk)', async () => {
    await cluster.kill('n3');
    const all: string[] = [];
    for await (const key of client.keys('listed', { pageSize: 100 })) all.push(key);
    assert.deepEqual(all, byBytes(live), 'every partition read from another replica');
    for (const node of cluster.nodes) await cluster.kill(node.name, 'SIGTERM');
    for (const node of cluster.nodes) await cluster.startNode(node.name);
    await cluster.waitConnected();
    for (const url of cluster.urls) {
      assert.equal((await json<{ props: { resolution: string } }>(`${url}/v1/buckets/newest`)).body.props.resolution, 'lww', url);
      assert.equal((await json<{ props: { durability: string } }>(`${url}/v1/buckets/listed`)).body.props.durability, 'sync', url);
    }
  });
});
