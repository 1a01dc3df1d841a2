import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { defaultBucketProps } from '../../core/limits.ts';
import { contextTokenKey } from '../../core/version/context-token.ts';
import { emptyContext } from '../../core/version/causal-context.ts';
import { ClientAuth, newToken, tokenSha256 } from '../security/client-auth.ts';
import { buildHttpApp, type HttpBackend } from './app.ts';
import { idleNodeStatus } from './idle-node-status.ts';

const tokens = { app: newToken(), ops: newToken(), watch: newToken(), reader: newToken() };
const backend: HttpBackend = {
  name: 'n1',
  pid: process.pid,
  incarnation: 'cafe0001',
  clusterName: 'unit',
  requestLimits: { keyBytesMax: 1024, valueBytesMax: 1024 },
  contextTokenKey: contextTokenKey('unit', undefined),
  auth: new ClientAuth([
    { name: 'app', sha256: tokenSha256(tokens.app), roles: ['read:carts', 'write:carts'] },
    { name: 'ops', sha256: tokenSha256(tokens.ops), roles: ['admin'] },
    { name: 'watch', sha256: tokenSha256(tokens.watch), roles: ['monitor'] },
    { name: 'reader', sha256: tokenSha256(tokens.reader), roles: ['read:carts'] },
  ]),
  ringTargetN: 1,
  ring: () => ({ partitionCount: 8, owners: Array(8).fill('n1'), nodes: new Map(), version: 1 }),
  request: async (request) => {
    if (request.kind === 'listKeys') return { kind: 'keys', keys: [], next: null };
    if (request.kind === 'listBuckets') return { kind: 'buckets', buckets: [], truncated: false };
    return request.kind === 'get' ? { kind: 'got', object: null } : { kind: 'stored', context: emptyContext };
  },
  nodeStatus: idleNodeStatus,
  bucketProps: () => defaultBucketProps,
  setBucketProps: async () => defaultBucketProps,
  status: () => ({}),
  metrics: async () => '',
};

let app: FastifyInstance;

before(async () => {
  app = buildHttpApp(backend);
  // A route that forgot to declare its permission.
  app.get('/v1/undeclared', async () => ({ ok: true }));
  await app.ready();
});
after(() => app.close());

const as = (token: string | undefined, method: 'GET' | 'PUT' | 'DELETE' | 'POST', url: string) =>
  app.inject({ method, url, headers: token === undefined ? {} : { authorization: `Bearer ${token}` }, payload: method === 'PUT' ? 'v' : undefined });

test('a route that declares no permission needs admin: forgetting closes it, never opens it', async () => {
  assert.equal((await as(tokens.app, 'GET', '/v1/undeclared')).statusCode, 403);
  assert.equal((await as(tokens.watch, 'GET', '/v1/undeclared')).statusCode, 403);
  assert.equal((await as(tokens.ops, 'GET', '/v1/undeclared')).statusCode, 200);
});

test('each route asks for its permission', async () => {
  const expect: [string | undefined, 'GET' | 'PUT' | 'DELETE' | 'POST', string, number][] = [
    [undefined, 'GET', '/health', 200],
    [undefined, 'GET', '/v1/ring', 401],
    [tokens.app, 'GET', '/v1/ring', 200],
    [tokens.app, 'PUT', '/v1/kv/carts/k', 204],
    [tokens.app, 'GET', '/v1/kv/carts/k', 404],
    [tokens.app, 'DELETE', '/v1/kv/carts/k', 204],
    [tokens.app, 'PUT', '/v1/kv/orders/k', 403],
    [tokens.app, 'GET', '/v1/cluster', 403],
    [tokens.app, 'GET', '/metrics', 403],
    [tokens.watch, 'GET', '/v1/cluster', 200],
    [tokens.watch, 'GET', '/metrics', 200],
    [tokens.watch, 'PUT', '/v1/kv/carts/k', 403],
    [tokens.ops, 'PUT', '/v1/kv/orders/k', 204],
    [tokens.app, 'GET', '/v1/no-such-route', 403],
    [undefined, 'GET', '/v1/no-such-route', 401],
    // Issue 12: a listing reads its bucket; bucket names are the cluster's state; setting a bucket is admin's.
    [tokens.reader, 'GET', '/v1/kv/carts', 200],
    [tokens.reader, 'GET', '/v1/kv/orders', 403],
    [tokens.app, 'GET', '/v1/buckets', 403],
    [tokens.watch, 'GET', '/v1/buckets', 200],
    [tokens.watch, 'GET', '/v1/buckets/carts', 200],
    [tokens.app, 'PUT', '/v1/buckets/carts', 403],
    [tokens.ops, 'PUT', '/v1/buckets/carts', 400],
  ];
  for (const [token, method, url, status] of expect) {
    const response = await as(token, method, url);
    assert.equal(response.statusCode, status, `${method} ${url} as ${token === undefined ? 'nobody' : Object.entries(tokens).find(([, t]) => t === token)?.[0]}: ${response.body}`);
    if (status === 401) assert.match(String(response.headers['www-authenticate']), /^Bearer realm=/);
    if (status === 401 || status === 403) assert.equal(response.json().error.code, status === 401 ? 'unauthorized' : 'forbidden');
  }
});

test('a batch needs read of its bucket, and write when any operation writes', async () => {
  const batch = (token: string, ops: unknown[]) => app.inject({ method: 'POST', url: '/v1/kv/carts/_batch', headers: { authorization: `Bearer ${token}` }, payload: { ops } });
  assert.equal((await batch(tokens.reader, [{ op: 'get', key: 'a' }, { op: 'get', key: 'b' }])).statusCode, 200);
  const refused = await batch(tokens.reader, [{ op: 'get', key: 'a' }, { op: 'delete', key: 'b' }]);
  assert.equal(refused.statusCode, 403);
  assert.equal(refused.json().error.code, 'forbidden');
  assert.equal((await batch(tokens.app, [{ op: 'put', key: 'a', value: 'aGk=' }])).statusCode, 200);
  assert.equal((await batch(tokens.watch, [{ op: 'get', key: 'a' }])).statusCode, 403);
});

test('/health names the process only to a caller that may monitor', async () => {
  assert.deepEqual((await as(undefined, 'GET', '/health')).json(), { status: 'ok', node: 'n1' });
  assert.deepEqual((await as(tokens.watch, 'GET', '/health')).json(), { status: 'ok', node: 'n1', pid: process.pid, incarnation: 'cafe0001' });
});

test('fuzz: any Authorization header but a known token is 401 unauthorized', async () => {
  await fc.assert(
    fc.asyncProperty(fc.oneof(fc.stringMatching(/^[\x20-\x7e]{0,300}$/), fc.constantFrom(`Bearer ${tokens.app}x`, `Basic ${tokens.app}`, `Bearer  `, `bearer ${tokenSha256(tokens.ops)}`)), async (header) => {
      const response = await app.inject({ method: 'GET', url: '/v1/kv/carts/k', headers: { authorization: header } });
      assert.equal(response.statusCode, 401, header);
    }),
    { numRuns: 300 },
  );
});
