/**
 * The TypeScript client against three real node processes: the version contract (3a–3d)
 * through the client, its routing, and a node killed with SIGKILL: R=W=2 keeps working while
 * R=3 fails with quorum_not_met naming the numbers.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, KvorumError, type KvorumClient } from '../src/client/index.ts';
import { TestCluster } from './helpers/cluster.ts';

let cluster: TestCluster;
let client: KvorumClient;
const text = (siblings: readonly { value: Uint8Array }[]) => siblings.map((s) => Buffer.from(s.value).toString()).sort();

before(async () => {
  cluster = await TestCluster.start({ nodes: 3 });
  client = connect({ nodes: [cluster.urls[0] as string] });
});

after(async () => {
  await client?.close();
  await cluster?.stop();
});

describe('client: versions', () => {
  test('a. put with the context of the latest get supersedes it', async () => {
    await client.put('carts', 'a', 'v1');
    const read = await client.get('carts', 'a');
    assert.deepEqual(text(read.siblings), ['v1']);
    await client.put('carts', 'a', 'v2', { context: read.context });
    assert.deepEqual(text((await client.get('carts', 'a', { r: 3 })).siblings), ['v2']);
  });

  test('b. same stale context twice: two siblings, not a lost update', async () => {
    await client.put('carts', 'b', 'base');
    const stale = (await client.get('carts', 'b')).context;
    await client.put('carts', 'b', 'one', { context: stale });
    await client.put('carts', 'b', 'two', { context: stale });
    assert.deepEqual(text((await client.get('carts', 'b', { r: 3 })).siblings), ['one', 'two']);
  });

  test('a put-reply context does not supersede a concurrent sibling it never saw', async () => {
    const { context: mine } = await client.put('carts', 'b3', 'mine');
    await client.put('carts', 'b3', 'theirs');
    await client.put('carts', 'b3', 'mine v2', { context: mine });
    assert.deepEqual(text((await client.get('carts', 'b3', { r: 3 })).siblings), ['mine v2', 'theirs']);
  });

  test('c. a context covering all siblings resolves them', async () => {
    await client.put('carts', 'c', 'x');
    await client.put('carts', 'c', 'y');
    const both = await client.get('carts', 'c', { r: 3 });
    assert.equal(both.siblings.length, 2);
    await client.put('carts', 'c', 'x+y', { context: both.context });
    assert.deepEqual(text((await client.get('carts', 'c', { r: 3 })).siblings), ['x+y']);
  });

  test('d. delete with context: not found, with a context', async () => {
    await client.put('carts', 'd', 'gone soon');
    const read = await client.get('carts', 'd');
    await client.delete('carts', 'd', { context: read.context });
    const after = await client.get('carts', 'd', { r: 3 });
    assert.deepEqual(after.siblings, []);
    assert.ok(after.context);
  });

  test('delete without a context deletes what a read sees, over both protocols', async () => {
    for (const protocol of ['http', 'binary'] as const) {
      const kv = connect({ nodes: [cluster.urls[0] as string], protocol });
      try {
        await kv.put('carts', `blind-${protocol}`, 'one');
        await kv.put('carts', `blind-${protocol}`, 'two');
        assert.equal((await kv.get('carts', `blind-${protocol}`, { r: 3 })).siblings.length, 2);
        await kv.delete('carts', `blind-${protocol}`);
        assert.deepEqual((await kv.get('carts', `blind-${protocol}`, { r: 3 })).siblings, [], protocol);
      } finally {
        await kv.close();
      }
    }
  });

  test('bad input raises KvorumError with its code', async () => {
    await assert.rejects(client.put('carts', 'e', 'x', { context: '%%%' }), (error: unknown) => error instanceof KvorumError && error.code === 'bad_context');
    await assert.rejects(client.get('no spaces allowed', 'k'), (error: unknown) => error instanceof KvorumError && error.code === 'bad_bucket');
  });

  test('a get or put fails by its promise, never by a throw: after close, and with a value that cannot be encoded', async () => {
    const closed = connect({ nodes: [cluster.urls[0] as string] });
    await closed.get('carts', 'a'); // the ring is fetched and the connection is open
    await closed.close();
    let afterClose: Promise<unknown> | undefined;
    assert.doesNotThrow(() => (afterClose = closed.get('carts', 'a')));
    await assert.rejects(afterClose!, (error: unknown) => error instanceof KvorumError && error.code === 'unavailable');
    let unencodable: Promise<unknown> | undefined;
    assert.doesNotThrow(() => (unencodable = client.put('carts', 'a', 'v', { contentType: Symbol('not a string') as unknown as string })));
    await assert.rejects(unencodable!);
  });

  test('routes each key to a node of its preference list', async () => {
    const ring = (await (await fetch(`${cluster.urls[0]}/v1/ring`)).json()) as { partitions: { preferenceList: string[] }[] };
    const { partitionOf } = await import('../src/core/ring/hash.ts');
    for (const key of ['k1', 'k2', 'k3', 'k4']) {
      const route = await client.route('carts', key);
      const expected = ring.partitions[partitionOf('carts', key, 64)]?.preferenceList[0] as string;
      assert.equal(route[0], cluster.node(expected).httpUrl);
      assert.equal(route.length, 3);
    }
  });
});

describe('client: values of every content type come back as stored', () => {
  // Issue 12 §1: a 200 whose body happened to be JSON was taken for the siblings envelope.
  const cases: { key: string; value: Uint8Array | string; contentType?: string; expected: Uint8Array; expectedType: string }[] = [
    { key: 'json', value: '{"a":1}', contentType: 'application/json', expected: Buffer.from('{"a":1}'), expectedType: 'application/json' },
    { key: 'json-siblings-shape', value: '{"siblings":[],"context":"x"}', contentType: 'application/json; charset=utf-8', expected: Buffer.from('{"siblings":[],"context":"x"}'), expectedType: 'application/json; charset=utf-8' },
    { key: 'binary', value: Uint8Array.of(0, 0xff, 0xfe, 0x80, 10), expected: Uint8Array.of(0, 0xff, 0xfe, 0x80, 10), expectedType: 'application/octet-stream' },
    { key: 'empty', value: new Uint8Array(), contentType: 'application/octet-stream', expected: new Uint8Array(), expectedType: 'application/octet-stream' },
    { key: 'text', value: 'héllo', expected: Buffer.from('héllo'), expectedType: 'text/plain; charset=utf-8' },
  ];
  for (const protocol of ['http', 'binary'] as const) {
    test(`over ${protocol}: JSON, binary, empty and text values`, async () => {
      const kv = connect({ nodes: [cluster.urls[0] as string], protocol });
      try {
        for (const { key, value, contentType, expected, expectedType } of cases) {
          await kv.put('values', `${protocol}-${key}`, value, contentType === undefined ? {} : { contentType });
          const read = await kv.get('values', `${protocol}-${key}`);
          assert.equal(read.siblings.length, 1, key);
          assert.deepEqual(Buffer.from(read.siblings[0]!.value), Buffer.from(expected), key);
          assert.equal(read.siblings[0]!.contentType, expectedType, key);
          assert.ok(read.context, key);
        }
        // Two JSON siblings come back as two values, not as one.
        await kv.put('values', `${protocol}-two`, '{"left":1}', { contentType: 'application/json' });
        await kv.put('values', `${protocol}-two`, '{"right":2}', { contentType: 'application/json' });
        assert.deepEqual(text((await kv.get('values', `${protocol}-two`, { r: 3 })).siblings), ['{"left":1}', '{"right":2}']);
      } finally {
        await kv.close();
      }
    });
  }
});

describe('client: getMany and putMany (issue 12 §8)', () => {
  for (const protocol of ['http', 'binary'] as const) {
    test(`over ${protocol}: each key with its own result or error, in order`, async () => {
      const kv = connect({ nodes: [cluster.urls[1] as string], protocol });
      try {
        const keys = Array.from({ length: 300 }, (_, i) => `${protocol}-many-${i}`); // more than one HTTP batch
        const { context: other } = await kv.put('many', `${protocol}-other`, 'x');
        const items = [
          ...keys.map((key, i) => ({ key, value: i % 2 === 0 ? `text ${i}` : Uint8Array.of(i % 256, 0, 255) })),
          { key: 'k'.repeat(2000), value: 'too long a key' },
          { key: `${protocol}-forged`, value: 'x', context: other }, // a context read from another key
        ];
        const written = await kv.putMany('many', items);
        assert.deepEqual(written.map((r) => r.key), items.map((item) => item.key));
        assert.ok(written.slice(0, 300).every((r) => r.error === undefined && r.context.length > 0));
        assert.equal(written[300]!.error?.code, 'bad_key');
        assert.equal(written[301]!.error?.code, 'bad_context');
        const read = await kv.getMany('many', [...keys, `${protocol}-never`]);
        assert.equal(read.length, 301);
        read.slice(0, 300).forEach((r, i) => {
          assert.equal(r.error, undefined);
          const expected = i % 2 === 0 ? Buffer.from(`text ${i}`) : Buffer.from([i % 256, 0, 255]);
          assert.deepEqual(Buffer.from(r.error === undefined ? r.siblings[0]!.value : []), expected);
          assert.equal(r.error === undefined && r.siblings[0]!.contentType, i % 2 === 0 ? 'text/plain; charset=utf-8' : 'application/octet-stream');
        });
        assert.ok(read[300]!.error === undefined && read[300]!.siblings.length === 0, 'a key nobody wrote');
        // With the contexts a getMany answers, a putMany supersedes.
        const next = read.slice(0, 3).map((r) => ({ key: r.key, value: 'v2', context: r.error === undefined ? r.context : undefined }));
        await kv.putMany('many', next);
        assert.deepEqual((await kv.getMany('many', keys.slice(0, 3), { r: 3 })).map((r) => (r.error === undefined ? text(r.siblings) : r.error.code)), [['v2'], ['v2'], ['v2']]);
      } finally {
        await kv.close();
      }
    });
  }
});

describe('client: one node killed', () => {
  test('R=W=2 still succeed; R=3 fails with quorum_not_met naming 3 required and 2 received', async () => {
    const keys = Array.from({ length: 20 }, (_, i) => `survivor-${i}`);
    for (const key of keys) await client.put('carts', key, `before ${key}`);
    await cluster.kill('n2');
    for (const key of keys) {
      const read = await client.get('carts', key);
      assert.deepEqual(text(read.siblings), [`before ${key}`]);
      await client.put('carts', key, `after ${key}`, { context: read.context });
    }
    for (const key of keys) assert.deepEqual(text((await client.get('carts', key)).siblings), [`after ${key}`]);
    await assert.rejects(client.get('carts', keys[0] as string, { r: 3 }), (error: unknown) => {
      assert.ok(error instanceof KvorumError);
      assert.equal(error.code, 'quorum_not_met');
      assert.deepEqual(error.detail, { quorum: 'r', required: 3, received: 2 });
      return true;
    });
    await assert.rejects(client.put('carts', 'w3', 'x', { w: 3 }), (error: unknown) => error instanceof KvorumError && error.code === 'quorum_not_met');
    // The node comes back with its disk: read repair at R=3 brings it up to date.
    await cluster.startNode('n2');
    await cluster.waitConnected();
    for (const key of keys) assert.deepEqual(text((await client.get('carts', key, { r: 3 })).siblings), [`after ${key}`]);
  });
});
