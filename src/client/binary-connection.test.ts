/**
 * The client's pipelined connection against the real protocol server with a node that answers
 * only when the test says so: waiting under the node's in-flight limit, deadlines whose late
 * replies do not break the connection, and a lost connection failing what was in flight.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { KvorumError } from '../core/errors.ts';
import { heldServer } from '../runtime/client-protocol/test-backend.ts';
import { BinaryConnection } from './binary-connection.ts';
import { NodeUnreachable } from './node-unreachable.ts';

async function setUp(t: TestContext, inflightMax = 1024) {
  const { server, backend, port } = await heldServer({ inflightMax });
  const connection = await BinaryConnection.open({ host: '127.0.0.1', port, connectTimeoutMs: 2_000 });
  t.after(async () => {
    connection.close();
    await server.close();
  });
  return { backend, server, connection };
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}

const get = (key: string) => ({ op: 'get', bucket: 'b', key }) as const;

test('beyond the node’s in-flight limit requests wait here, in order, instead of being refused', async (t) => {
  const { backend, connection } = await setUp(t, 2);
  const replies = ['a', 'b', 'c', 'd', 'e'].map((key) => connection.request(get(key), 5_000));
  await until(() => backend.held.length === 2);
  await new Promise((resolve) => setTimeout(resolve, 30));
  assert.equal(backend.held.length, 2, 'the node never sees more than its limit');
  for (let answered = 0; answered < 5; answered++) {
    await until(() => backend.held.length > answered);
    backend.held[answered]!.answer({ kind: 'got', object: null });
  }
  assert.deepEqual(await Promise.all(replies), [1, 2, 3, 4, 5].map((id) => ({ id, siblings: [] })));
  assert.deepEqual(
    backend.held.map((held) => ('key' in held.request ? held.request.key : '')),
    ['a', 'b', 'c', 'd', 'e'],
  );
});

test('a request past its deadline fails with timeout; its late reply is dropped and the connection carries on', async (t) => {
  const { backend, connection } = await setUp(t);
  await assert.rejects(connection.request(get('slow'), 150), (error: unknown) => error instanceof KvorumError && error.code === 'timeout');
  const next = connection.request(get('next'), 5_000);
  await until(() => backend.held.length === 2);
  backend.held[0]!.answer({ kind: 'got', object: null }); // the late reply to the abandoned request
  backend.held[1]!.answer({ kind: 'stored', context: { clock: [], dots: [] } });
  assert.equal(typeof (await next).context, 'string');
  assert.ok(connection.isOpen);
});

test('an error reply rejects with its code; a lost connection fails what is in flight as unreachable', async (t) => {
  const { backend, server, connection } = await setUp(t);
  const refused = connection.request({ op: 'get', bucket: 'bad bucket', key: 'k' }, 5_000);
  await assert.rejects(refused, (error: unknown) => error instanceof KvorumError && error.code === 'bad_bucket');
  const lost = assert.rejects(connection.request(get('k'), 5_000), (error: unknown) => error instanceof NodeUnreachable);
  await until(() => backend.held.length === 1);
  await server.close();
  await lost;
  assert.equal(connection.isOpen, false);
  await assert.rejects(connection.request(get('k'), 5_000), (error: unknown) => error instanceof NodeUnreachable);
});
