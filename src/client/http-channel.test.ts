import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { KvorumError } from '../core/errors.ts';
import { HttpChannel } from './http-channel.ts';

/** A node that answers every batch with `results`, whatever it was asked. */
async function answering(t: { after(fn: () => unknown): void }, results: unknown[]): Promise<string> {
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ results })));
  }).listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => new Promise((resolve) => server.close(resolve)));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

test('a batch answer that does not match its keys one for one is refused, never given to the wrong keys', async (t) => {
  const channel = new HttpChannel(2_000, 1, { token: undefined, ca: undefined });
  t.after(() => channel.close());
  const requests = [{ bucket: 'b', key: 'a' }, { bucket: 'b', key: 'b' }];
  const matching = await answering(t, [{ key: 'a', siblings: [] }, { key: 'b', siblings: [] }]);
  assert.equal((await channel.batch(matching, 'b', requests, 'get', undefined)).length, 2);
  for (const results of [[{ key: 'b', siblings: [] }], [{ key: 'b', siblings: [] }, { key: 'a', siblings: [] }], [{ key: 'a', siblings: [] }, { key: 'b', siblings: [] }, { key: 'c', siblings: [] }]]) {
    const url = await answering(t, results);
    await assert.rejects(channel.batch(url, 'b', requests, 'get', undefined), (error: unknown) => error instanceof KvorumError && error.code === 'internal');
  }
});
