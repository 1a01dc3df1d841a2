/**
 * The binary protocol's server over real loopback sockets, with a node that answers only when
 * the test says so: handshake, replies out of order, the in-flight and connection limits,
 * protocol violations closing only their own connection, and every timeout.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { encodeContextToken } from '../../core/version/context-token.ts';
import { testTokenKey } from '../../core/version/test-token.ts';
import { FrameClient } from '../../../test/helpers/frame-client.ts';
import type { ClientServer, ClientServerOptions } from './client-server.ts';
import { heldServer, type HeldBackend } from './test-backend.ts';

const context = { clock: [['n1.abc', 1, 1_000]] as [string, number, number][], dots: [] };

async function serve(t: TestContext, options: Partial<ClientServerOptions> = {}): Promise<{ server: ClientServer; backend: HeldBackend; address: string }> {
  const { server, backend, port } = await heldServer(options);
  t.after(() => server.close());
  return { server, backend, address: `127.0.0.1:${port}` };
}

async function open(t: TestContext, address: string) {
  const opened = await FrameClient.open(address);
  t.after(() => opened.client.close());
  return opened;
}

const get = (id: number, key = 'k') => ({ id, op: 'get', bucket: 'b', key });

test('the welcome names the node, the cluster, the version and the limits', async (t) => {
  const { address } = await serve(t, { inflightMax: 7 });
  const { welcome } = await open(t, address);
  assert.deepEqual(welcome, {
    op: 'welcome',
    protocol: 'kvorum',
    version: 1,
    node: 'n1',
    cluster: 'test',
    limits: { frameBytesMax: 1024 + 64 + 16 * 1024, replyFrameBytesMax: 64 * 1024 * 1024, inflightMax: 7, keyBytesMax: 64, valueBytesMax: 1024, idleTimeoutMs: 300_000 },
  });
});

test('requests may follow the hello without waiting for the welcome', async (t) => {
  const { address } = await serve(t);
  const client = await FrameClient.connect(address);
  t.after(() => client.close());
  client.send({ op: 'hello', protocol: 'kvorum', version: 1 }, { id: 1, op: 'ping' });
  const [welcome, pong] = await client.next(2);
  assert.equal(welcome!.op, 'welcome');
  assert.deepEqual(pong, { id: 1 });
});

test('a hello of another version or protocol is refused with a closing frame', async (t) => {
  const { server, address } = await serve(t);
  for (const hello of [{ op: 'hello', protocol: 'kvorum', version: 3 }, { op: 'hello', protocol: 'resp', version: 1 }, { op: 'get', id: 1 }]) {
    const client = await FrameClient.connect(address);
    t.after(() => client.close());
    client.send(hello);
    const [closing] = await client.next(1);
    assert.equal((closing!.error as { code: string }).code, 'bad_request');
    assert.equal(closing!.id, undefined);
    await client.waitClosed();
  }
  assert.equal(server.status().connectionsRefused, 3);
});

test('version 2 adds the listings: a connection that said version 1 may not use them', async (t) => {
  const { backend, address } = await serve(t);
  const { client: v1 } = await open(t, address);
  v1.send({ id: 1, op: 'keys', bucket: 'b' });
  const [refused] = await v1.next(1);
  assert.equal((refused!.error as { code: string; message: string }).code, 'bad_request');
  assert.match((refused!.error as { message: string }).message, /needs protocol version 2/);
  const v2 = await FrameClient.connect(address);
  t.after(() => v2.close());
  v2.send({ op: 'hello', protocol: 'kvorum', version: 2 }, { id: 1, op: 'keys', bucket: 'b', after: 'a', limit: 2 }, { id: 2, op: 'buckets' });
  const [welcome] = await v2.next(1);
  assert.equal(welcome!.version, 2);
  while (backend.held.length < 2) await new Promise((resolve) => setTimeout(resolve, 5));
  const [keys, buckets] = backend.held;
  assert.deepEqual(keys!.request, { kind: 'listKeys', bucket: 'b', after: 'a', limit: 2, timeoutMs: undefined });
  assert.deepEqual(buckets!.request, { kind: 'listBuckets', timeoutMs: undefined });
  keys!.answer({ kind: 'keys', keys: ['b', 'c'], next: 'c' });
  buckets!.answer({ kind: 'buckets', buckets: ['b'], truncated: false });
  assert.deepEqual(await v2.next(2), [
    { id: 1, keys: ['b', 'c'], next: 'c' },
    { id: 2, buckets: ['b'], truncated: false },
  ]);
});

test('replies come back in the order requests finish, each with its id', async (t) => {
  const { backend, address } = await serve(t);
  const { client } = await open(t, address);
  client.send(get(10, 'a'), get(11, 'b'), get(12, 'c'), { id: 13, op: 'ping' });
  const [pong] = await client.next(1);
  assert.deepEqual(pong, { id: 13 }, 'a ping overtakes the gets still in flight');
  while (backend.held.length < 3) await new Promise((resolve) => setTimeout(resolve, 5));
  const [a, b, c] = backend.held;
  c!.answer({ kind: 'stored', context });
  a!.answer({ kind: 'error', code: 'quorum_not_met', message: 'r', detail: { quorum: 'r', required: 2, received: 1 } });
  b!.answer({ kind: 'got', object: { siblings: [{ dot: ['n1.abc', 1], value: new Uint8Array([7]), contentType: 'x/y', lastModifiedMs: 5, deleted: false }], context } });
  const replies = await client.next(3);
  assert.deepEqual(
    replies.map((reply) => reply.id),
    [12, 10, 11],
  );
  // Tokens signed for the key each request named, as HTTP's are.
  assert.deepEqual(replies[0], { id: 12, context: encodeContextToken(context, { bucket: 'b', key: 'c' }, testTokenKey) });
  assert.deepEqual(replies[1], { id: 10, error: { code: 'quorum_not_met', message: 'r', detail: { quorum: 'r', required: 2, received: 1 } } });
  assert.deepEqual(replies[2], { id: 11, siblings: [{ value: Buffer.from([7]), contentType: 'x/y', lastModifiedMs: 5 }], context: encodeContextToken(context, { bucket: 'b', key: 'b' }, testTokenKey) });
});

test('over the in-flight limit a request is answered overloaded and the connection carries on', async (t) => {
  const { server, backend, address } = await serve(t, { inflightMax: 2 });
  const { client } = await open(t, address);
  client.send(get(1), get(2), get(3), get(4));
  const refused = await client.next(2);
  assert.deepEqual(
    refused.map((reply) => [reply.id, (reply.error as { code: string }).code]),
    [
      [3, 'overloaded'],
      [4, 'overloaded'],
    ],
  );
  for (const held of backend.held) held.answer({ kind: 'got', object: null });
  assert.deepEqual(await client.next(2), [
    { id: 1, siblings: [] },
    { id: 2, siblings: [] },
  ]);
  client.send(get(5, 'again'));
  while (backend.held.length < 3) await new Promise((resolve) => setTimeout(resolve, 5));
  assert.equal(server.status().inflight, 1);
});

test('a bad request gets an error reply; a frame that cannot be answered closes only its connection', async (t) => {
  const { server, address } = await serve(t);
  const { client: good } = await open(t, address);
  good.send({ id: 1, op: 'get', bucket: 'bad bucket', key: 'k' }, { id: 2, op: 'put', bucket: 'b', key: 'k', value: new Uint8Array(1025) });
  assert.deepEqual(
    (await good.next(2)).map((reply) => (reply.error as { code: string }).code),
    ['bad_bucket', 'value_too_large'],
  );
  const violations: [string, unknown[] | Buffer, string][] = [
    ['not msgpack', Buffer.from([0, 0, 0, 1, 0xc1]), 'bad_request'],
    ['no id', [{ op: 'ping' }], 'bad_request'],
    ['an array', [[1, 2]], 'bad_request'],
    ['an id in flight', [get(5), get(5)], 'bad_request'],
    ['too long', Buffer.from([0, 1, 0, 0]), 'value_too_large'],
  ];
  for (const [what, sent, code] of violations) {
    const { client } = await open(t, address);
    if (Buffer.isBuffer(sent)) client.sendRaw(sent);
    else client.send(...sent);
    await client.waitClosed();
    const closing = client.frames.at(-1)!;
    assert.equal(closing.id, undefined, what);
    assert.equal((closing.error as { code: string }).code, code, what);
  }
  good.send({ id: 3, op: 'get', bucket: 'now', key: 'k' });
  assert.deepEqual(await good.next(1), [{ id: 3, siblings: [] }], 'the other connection still works');
  assert.equal(server.status().protocolErrors, violations.length);
});

test('connections over the limit are refused with overloaded', async (t) => {
  const { address } = await serve(t, { connectionsMax: 1 });
  await open(t, address);
  const second = await FrameClient.connect(address);
  t.after(() => second.close());
  await second.waitClosed();
  assert.equal((second.frames[0]!.error as { code: string }).code, 'overloaded');
});

test('no hello, a stalled frame and an idle connection are each closed with timeout', async (t) => {
  const quick = { handshakeTimeoutMs: 100, partialFrameTimeoutMs: 100, idleTimeoutMs: 300, sweepIntervalMs: 20 };
  const { backend, address } = await serve(t, quick);
  const silentClient = await FrameClient.connect(address);
  t.after(() => silentClient.close());
  const { client: stalled } = await open(t, address);
  stalled.sendRaw(Buffer.from([0, 0, 0, 50, 0x80]));
  const { client: busy } = await open(t, address);
  busy.send(get(1));
  const { client: idle } = await open(t, address);
  const started = Date.now();
  for (const client of [silentClient, stalled, idle]) {
    await client.waitClosed();
    assert.equal((client.frames.at(-1)!.error as { code: string }).code, 'timeout');
  }
  assert.ok(Date.now() - started >= 250, 'the idle connection lasted its idle timeout');
  assert.equal(busy.closed, false, 'a connection with a request in flight is not idle');
  backend.held[0]!.answer({ kind: 'got', object: null });
  assert.deepEqual(await busy.next(1), [{ id: 1, siblings: [] }]);
});

test('a client that does not read its replies stops the server reading its requests', async (t) => {
  const { server, backend, address } = await serve(t);
  // About 190 KB per reply, so a few dozen fill every socket buffer between the two.
  const partitions = Array.from({ length: 1024 }, (_, partition) => ({ partition, owner: 'o'.repeat(40), preferenceList: ['o'.repeat(40), 'p'.repeat(40), 'q'.repeat(40)] }));
  backend.ring = () => ({ version: 1, partitionCount: 1024, n: 3, nodes: [], partitions });
  const { client } = await open(t, address);
  client.socket.pause();
  const total = 200;
  for (let batch = 0; batch < total / 10; batch++) {
    client.send(...Array.from({ length: 10 }, (_, i) => ({ id: batch * 10 + i, op: 'ring' })));
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await new Promise((resolve) => setTimeout(resolve, 200));
  const readWhilePaused = server.status().requests;
  assert.ok(readWhilePaused < total, `the server read all ${total} requests of a client that reads nothing`);
  client.socket.resume();
  const replies = await client.next(total);
  assert.deepEqual(
    replies.map((reply) => reply.id),
    Array.from({ length: total }, (_, i) => i),
  );
  assert.equal(server.status().requests, total);
});
