import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import fc from 'fast-check';
import { isErrorCode } from '../../core/errors.ts';
import { defaultBucketProps } from '../../core/limits.ts';
import { contextTokenKey } from '../../core/version/context-token.ts';
import { emptyContext } from '../../core/version/causal-context.ts';
import { buildHttpApp, type HttpBackend } from './app.ts';
import { idleNodeStatus } from './idle-node-status.ts';
import { ClientAuth } from '../security/client-auth.ts';

const backend: HttpBackend = {
  name: 'n1',
  pid: process.pid,
  incarnation: 'cafe0001',
  clusterName: 'unit',
  requestLimits: { keyBytesMax: 1024, valueBytesMax: 1024 * 1024 },
  contextTokenKey: contextTokenKey('unit', undefined),
  auth: new ClientAuth([]),
  ringTargetN: 1,
  ring: () => ({ partitionCount: 8, owners: Array(8).fill('n1'), nodes: new Map(), version: 1 }),
  request: async (request) => (request.kind === 'put' ? { kind: 'stored', context: emptyContext } : { kind: 'got', object: null }),
  nodeStatus: idleNodeStatus,
  bucketProps: () => defaultBucketProps,
  status: () => ({}),
  setBucketProps: async () => defaultBucketProps,
  metrics: async () => '',
};

let app: FastifyInstance;
let port: number;

before(async () => {
  app = buildHttpApp(backend, { timeouts: { requestTimeoutMs: 600, headersTimeoutMs: 400, keepAliveTimeoutMs: 300 } });
  await app.listen({ host: '127.0.0.1', port: 0 });
  port = (app.server.address() as { port: number }).port;
});

after(async () => {
  await app.close();
});

/** Writes `text` on a new connection and collects what comes back until the server closes it (or `waitMs`). */
function raw(text: string, waitMs = 3_000): Promise<{ answer: string; closedAfterMs: number | null }> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ answer, closedAfterMs: null });
    }, waitMs);
    socket.on('data', (chunk) => (answer += chunk.toString('latin1')));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ answer, closedAfterMs: Date.now() - started });
    });
    socket.write(text);
  });
}

function parsed(answer: string): { status: number; code: string } {
  const [head = '', body = ''] = answer.split('\r\n\r\n');
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]);
  return { status, code: (JSON.parse(body) as { error: { code: string } }).error.code };
}

describe('framework errors answer in our error shape (issue 11 §10)', () => {
  const cases: [string, string, number, string][] = [
    ['bad percent-encoding', 'GET /v1/kv/b/%E0%A4%A HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'bad_request'],
    ['headers over the limit', `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431, 'headers_too_large'],
    ['an unknown method', 'FOO /health HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'bad_request'],
    ['a Content-Type that is not a media type', 'PUT /v1/kv/b/k HTTP/1.1\r\nHost: x\r\nContent-Type: ;;;\r\nContent-Length: 1\r\n\r\nx', 415, 'unsupported_media_type'],
    ['a key longer than the router takes', `GET /v1/kv/b/${'k'.repeat(4000)} HTTP/1.1\r\nHost: x\r\n\r\n`, 400, 'bad_key'],
    ['a malformed Content-Length', 'PUT /v1/kv/b/k HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\nx', 400, 'bad_request'],
  ];
  for (const [name, request, status, code] of cases) {
    test(name, async () => {
      // Answers that reach a route keep the connection open: ask for it to close after.
      const { answer } = await raw(request.replace('Host: x\r\n', 'Host: x\r\nConnection: close\r\n'), 1_000);
      assert.deepEqual(parsed(answer), { status, code }, answer.slice(0, 200));
    });
  }
});

describe('timeouts (issue 11 §5)', () => {
  test('a body that does not finish arriving is answered 408 request_timeout and the connection closed', async () => {
    const { answer, closedAfterMs } = await raw('PUT /v1/kv/b/k HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\nmost of a body but not all');
    assert.ok(closedAfterMs !== null && closedAfterMs < 2_500, `closed after ${closedAfterMs} ms`);
    assert.deepEqual(parsed(answer), { status: 408, code: 'request_timeout' });
  });

  test('headers that do not finish arriving are cut off', async () => {
    const { closedAfterMs } = await raw('GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ');
    assert.ok(closedAfterMs !== null && closedAfterMs < 2_500, `closed after ${closedAfterMs} ms`);
  });

  test('an idle keep-alive connection is closed', async () => {
    const { answer, closedAfterMs } = await raw('GET /health HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.match(answer, /^HTTP\/1\.1 200/);
    assert.ok(closedAfterMs !== null && closedAfterMs < 2_500, `closed after ${closedAfterMs} ms`);
  });
});

describe('access log (issue 14 §5)', () => {
  test('off by default; when asked for, one line per request: method, path, status, milliseconds', async () => {
    const lines: string[] = [];
    const logger = pino({ base: null }, { write: (line: string) => lines.push(line) });
    const logged = buildHttpApp(backend, { accessLog: logger });
    await logged.inject({ method: 'GET', url: '/health' });
    await logged.inject({ method: 'GET', url: '/v1/kv/b/missing' });
    await logged.close();
    const entries = lines.map((line) => JSON.parse(line) as { msg: string; method: string; url: string; status: number; ms: number });
    assert.deepEqual(entries.map(({ msg, method, url, status }) => ({ msg, method, url, status })), [
      { msg: 'http', method: 'GET', url: '/health', status: 200 },
      { msg: 'http', method: 'GET', url: '/v1/kv/b/missing', status: 404 },
    ]);
    assert.ok(entries.every((entry) => entry.ms >= 0));
  });
});

describe('fuzz: HTTP parsing (issue 11)', () => {
  const printable = fc.stringMatching(/^[\x20-\x7e]{0,40}$/);
  const pathPart = fc.oneof(fc.constantFrom('', 'b', 'k', '%', '%ZZ', '%E0%A4%A', '..', '%00', 'é', '*', '%2F'), fc.stringMatching(/^[A-Za-z0-9%._~!$&'()*+,;=:@-]{0,30}$/));
  const path = fc.oneof(
    fc.tuple(pathPart, pathPart).map(([bucket, key]) => `/v1/kv/${bucket}/${key}`),
    fc.tuple(fc.constantFrom('/v1/kv/b/k', '/v1/ring', '/v1/cluster', '/health', '/metrics', '/v1/buckets/', '/'), fc.stringMatching(/^[?=&a-z0-9%]{0,20}$/)).map(([p, q]) => p + q),
    fc.stringMatching(/^\/[\x21-\x7e]{0,60}$/),
  );
  const request = fc.record({
    method: fc.constantFrom('GET', 'PUT', 'DELETE', 'POST', 'PATCH', 'OPTIONS', 'FOO'),
    path,
    headers: fc.array(fc.tuple(fc.constantFrom('Content-Type', 'X-Kvorum-Context', 'Authorization', 'Accept', 'X-Other', 'Transfer-Encoding'), printable), { maxLength: 4 }),
    body: fc.uint8Array({ maxLength: 64 }),
  });

  test('random requests over the wire: below 500, and every error in our shape with a known code', async () => {
    await fc.assert(
      fc.asyncProperty(request, async ({ method, path, headers, body }) => {
        const head = [`${method} ${path} HTTP/1.1`, 'Host: x', 'Connection: close', `Content-Length: ${body.length}`, ...headers.filter(([name]) => name !== 'Transfer-Encoding').map(([name, value]) => `${name}: ${value}`)];
        const { answer } = await raw(`${head.join('\r\n')}\r\n\r\n${Buffer.from(body).toString('latin1')}`, 2_000);
        const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1]);
        assert.ok(status >= 200 && status < 500, `${method} ${path}: ${answer.slice(0, 300)}`);
        if (status >= 400) {
          const code = (JSON.parse(answer.split('\r\n\r\n')[1] ?? '') as { error: { code: unknown } }).error.code;
          assert.ok(isErrorCode(code), `${method} ${path}: code ${String(code)}`);
        }
      }),
      { numRuns: 150 },
    );
  });
});
