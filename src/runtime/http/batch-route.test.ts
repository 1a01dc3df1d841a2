import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KvorumError } from '../../core/errors.ts';
import { limits } from '../../core/limits.ts';
import type { ClientRequest, ClientResult } from '../../core/messages.ts';
import type { StoredObject } from '../../core/version/types.ts';
import { encodeContextToken } from '../../core/version/context-token.ts';
import { emptyContext } from '../../core/version/causal-context.ts';
import { testTokenKey } from '../../core/version/test-token.ts';
import { batchOps, runBatch } from './batch-route.ts';

const codeOf = (error: unknown) => (error instanceof KvorumError ? error.code : String(error));

test('a body that is not a batch, or over its count, fails whole', () => {
  assert.throws(() => batchOps({}), (error) => codeOf(error) === 'bad_request');
  assert.throws(() => batchOps({ ops: [], other: 1 }), (error) => codeOf(error) === 'bad_request');
  assert.throws(() => batchOps({ ops: Array.from({ length: 257 }, () => ({})) }), (error) => codeOf(error) === 'batch_too_large');
  assert.throws(() => batchOps({ ops: [], timeout: -1 }), (error) => codeOf(error) === 'bad_query');
  assert.deepEqual(batchOps({ ops: [], timeout: 10 }), { ops: [], timeoutMs: 10 });
});

test('every operation runs, at once, and answers alone in the order given', async () => {
  const sent: ClientRequest[] = [];
  const request = async (one: ClientRequest): Promise<ClientResult> => {
    sent.push(one);
    if (one.kind === 'get') return one.key === 'missing' ? { kind: 'got', object: null } : { kind: 'error', code: 'quorum_not_met', message: 'r', detail: { quorum: 'r', required: 2, received: 1 } };
    return { kind: 'stored', context: emptyContext };
  };
  const context = encodeContextToken(emptyContext, { bucket: 'b', key: 'p' }, testTokenKey);
  const results = await runBatch(
    'b',
    [
      { op: 'put', key: 'p', value: Buffer.from('hi').toString('base64'), context },
      { op: 'get', key: 'missing' },
      { op: 'get', key: 'slow', r: 3 },
      { op: 'delete', key: 'd' },
      { op: 'put', key: 'q', value: '***' },
      { op: 'put', key: 'q', value: 'aGk=', context },
      { op: 'get', key: 'x', extra: true },
      'not an op',
    ],
    250,
    testTokenKey,
    request,
  );
  assert.deepEqual(
    results.map((result) => ('error' in result ? result.error.code : 'siblings' in result ? `siblings:${result.siblings.length}` : 'stored')),
    ['stored', 'siblings:0', 'quorum_not_met', 'stored', 'bad_request', 'bad_context', 'bad_request', 'bad_request'],
  );
  assert.deepEqual(results.map((result) => result.key), ['p', 'missing', 'slow', 'd', 'q', 'q', 'x', undefined]);
  assert.equal(sent.length, 4, 'malformed operations reach no coordinator');
  const put = sent[0] as Extract<ClientRequest, { kind: 'put' }>;
  assert.deepEqual([put.bucket, Buffer.from(put.value).toString(), put.contentType, put.timeoutMs, put.context !== null], ['b', 'hi', 'application/octet-stream', 250, true]);
  assert.deepEqual(sent[2], { kind: 'get', bucket: 'b', key: 'slow', r: 3, timeoutMs: 250 });
  const del = sent[3];
  assert.ok(del?.kind === 'put' && del.deleted && del.context === null, 'a delete without a context (read-before-delete is the runtime’s)');
});

test('values are counted as the gets answer: one past batchReplyValueBytesMax is dropped on arrival, not held until the whole batch answered', async () => {
  const { batchReplyValueBytesMax } = limits;
  const valueBytes = Math.floor(batchReplyValueBytesMax / 3) + 1; // two fit, a third does not
  const objectOf = (byte: number): StoredObject => ({
    siblings: [{ dot: ['n1.a', 1], value: new Uint8Array(valueBytes).fill(byte), contentType: 'application/octet-stream', lastModifiedMs: 1, deleted: false }],
    context: emptyContext,
  });
  // The last keys answer first: the budget goes to whichever answers before it is spent.
  const delays: Record<string, number> = { a: 40, b: 30, c: 20, d: 10 };
  const request = async (one: ClientRequest): Promise<ClientResult> => {
    await new Promise((resolve) => setTimeout(resolve, delays[one.key]));
    return { kind: 'got', object: objectOf(one.key.charCodeAt(0)) };
  };
  const results = await runBatch('b', ['a', 'b', 'c', 'd'].map((key) => ({ op: 'get', key })), undefined, testTokenKey, request);
  assert.deepEqual(
    results.map((result) => ('error' in result ? result.error.code : 'value')),
    ['value_too_large', 'value_too_large', 'value', 'value'],
  );
  const answered = results.reduce((sum, result) => sum + ('siblings' in result ? result.siblings.reduce((bytes, s) => bytes + Buffer.from(s.value, 'base64').length, 0) : 0), 0);
  assert.ok(answered <= batchReplyValueBytesMax);
});
