import { test } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { KvorumError } from '../../core/errors.ts';
import type { StagedChange } from '../../core/membership/staged.ts';
import { registerMembershipRoutes, type MembershipBackend } from './membership-routes.ts';

function appWith(staged: StagedChange[]) {
  const backend: MembershipBackend = {
    self: () => ({ name: 'n1', address: '127.0.0.1:7001', httpUrl: 'http://127.0.0.1:8001', capacity: 1 }),
    stage: async (change) => {
      staged.push(change);
      return staged;
    },
    clearStaged: () => {},
    plan: async () => ({ version: 1, staged: [], moves: [], transfers: [], totals: { transfers: 0, keys: 0, bytes: 0, unknownSizes: 0 } }),
    commit: () => ({ version: 2, transfers: 0 }),
    abort: () => ({ version: 3 }),
    transfers: () => ({}),
    partitionSizes: async () => [],
  };
  const app = Fastify();
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  app.setErrorHandler((error: Error, _request, reply) => {
    const status = error instanceof KvorumError ? error.httpStatus : 500;
    return reply.code(status).send({ error: { code: error instanceof KvorumError ? error.code : 'internal', message: error.message } });
  });
  registerMembershipRoutes(app, backend);
  return app;
}

test('a join naming a malformed node is refused as bad_request and stages nothing (issue 11 §10)', async () => {
  const staged: StagedChange[] = [];
  const app = appWith(staged);
  const good = { name: 'n4', address: '127.0.0.1:7004', httpUrl: 'http://127.0.0.1:8004', capacity: 1 };
  const bad = [
    { ...good, zone: 'z'.repeat(1000) },
    { ...good, address: '127.0.0.1\n:7004' },
    { ...good, address: '127.0.0.1:99999' },
    { ...good, capacity: 1e-300 },
    { ...good, capacity: 1e300 },
    { ...good, httpUrl: 'http://127.0.0.1:8004/\r\nSet-Cookie: x' },
    { ...good, name: 'n4\nforged' },
  ];
  for (const body of bad) {
    const response = await app.inject({ method: 'POST', url: '/v1/cluster/join', payload: body });
    assert.equal(response.statusCode, 400, JSON.stringify(body));
    assert.equal(response.json().error.code, 'bad_request');
  }
  assert.equal(staged.length, 0);
  const response = await app.inject({ method: 'POST', url: '/v1/cluster/join', payload: good });
  assert.equal(response.statusCode, 200);
  assert.equal(staged.length, 1);
  await app.close();
});
