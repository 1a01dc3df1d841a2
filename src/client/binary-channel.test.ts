/**
 * The client's binary channel against the real protocol server: the values it hands to an
 * application are in memory of their own, not views into the frame they came in.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { heldServer } from '../runtime/client-protocol/test-backend.ts';
import { BinaryChannel } from './binary-channel.ts';

test('a get’s values are copies of their own: keeping a small one keeps nothing else alive', async (t) => {
  const { server, backend, port } = await heldServer();
  const channel = new BinaryChannel(5_000, { token: undefined, ca: undefined });
  t.after(async () => {
    channel.close();
    await server.close();
  });
  const got = channel.get(`127.0.0.1:${port}`, { bucket: 'b', key: 'k' });
  while (backend.held.length < 1) await new Promise((resolve) => setTimeout(resolve, 5));
  const sibling = (actor: string, byte: number) => ({ dot: [actor, 1] as [string, number], value: new Uint8Array(20).fill(byte), contentType: 'x/y', lastModifiedMs: 5, deleted: false });
  backend.held[0]!.answer({ kind: 'got', object: { siblings: [sibling('n1.abc', 1), sibling('n2.abc', 2)], context: { clock: [['n1.abc', 1, 5], ['n2.abc', 1, 5]], dots: [] } } });
  const { siblings } = await got;
  assert.deepEqual(
    siblings.map(({ value }) => [...new Set(value)]),
    [[1], [2]],
  );
  for (const { value } of siblings) assert.equal(value.buffer.byteLength, value.byteLength, 'a value alone in its memory');
});
