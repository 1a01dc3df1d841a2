import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { defaultBucketProps } from '../../core/limits.ts';
import { contextTokenKey } from '../../core/version/context-token.ts';
import { emptyContext } from '../../core/version/causal-context.ts';
import { ClientAuth, newToken, tokenSha256 } from '../security/client-auth.ts';
import { buildHttpApp, type HttpBackend } from './app.ts';

const tokens = { app: newToken(), ops: newToken(), watch: newToken() };
const backend: HttpBackend = {
  name: 'n1',
  clusterName: 'unit',
  requestLimits: { keyBytesMax: 1024, valueBytesMax: 1024 },
  contextTokenKey: contextTokenKey('unit', undefined),
  auth: new ClientAuth([
    { name: 'app', sha256: tokenSha256(tokens.app), roles: ['read:carts', 'write:carts'] },
    { name: 'ops', sha256: tokenSha256(tokens.ops), roles: ['admin'] },
    { name: 'watch', sha256: tokenSha256(tokens.watch), roles: ['monitor'] },
  ]),
  ringTargetN: 1,
  ring: () => ({ partitionCount: 8, owners: Array(8).fill('n1'), nodes: new Map(), version: 1 }),
  request: async (request) => (request.kind === 'get' ? { kind: 'got', object: null } : { kind: 'stored', context: emptyContext }),
  peerStatus: () => 'self',
  epochsKnown: () => true,
  notReadyBecause: () => null,
  viewConfirmed: () => true,
  bucketProps: () => defaultBucketProps,
  metrics: () => new Map(),
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
  ];
  for (const [token, method, url, status] of expect) {
    const response = await as(token, method, url);
    assert.equal(response.statusCode, status, `${method} ${url} as ${token === undefined ? 'nobody' : Object.entries(tokens).find(([, t]) => t === token)?.[0]}: ${response.body}`);
    if (status === 401) assert.match(String(response.headers['www-authenticate']), /^Bearer realm=/);
    if (status === 401 || status === 403) assert.equal(response.json().error.code, status === 401 ? 'unauthorized' : 'forbidden');
  }
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
