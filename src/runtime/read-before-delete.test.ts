import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ClientRequest, ClientResult, PutRequest } from '../core/messages.ts';
import type { CausalContext, StoredObject } from '../core/version/types.ts';
import { isContextlessDelete, readThenDelete } from './read-before-delete.ts';

const seen: CausalContext = { clock: [['n1.a', 2, 0]], dots: [] };
const object = { siblings: [], context: seen } as unknown as StoredObject;
const del: PutRequest = { kind: 'put', bucket: 'b', key: 'k', value: new Uint8Array(), contentType: '', deleted: true, context: null, w: 2 };

function run(request: PutRequest, readResult: ClientResult, clock: { now: number }): { sent: ClientRequest[]; result: ClientResult | undefined } {
  const sent: ClientRequest[] = [];
  let result: ClientResult | undefined;
  const submit = (one: ClientRequest, done: (result: ClientResult) => void) => {
    sent.push(one);
    clock.now += 300; // each request takes 300 ms
    done(one.kind === 'get' ? readResult : { kind: 'stored', context: seen });
  };
  readThenDelete(submit, request, 5_000, () => clock.now, (answer) => (result = answer));
  return { sent, result };
}

test('only a delete without a context is read first', () => {
  assert.equal(isContextlessDelete(del), true);
  assert.equal(isContextlessDelete({ ...del, context: seen }), false);
  assert.equal(isContextlessDelete({ ...del, deleted: false }), false);
  assert.equal(isContextlessDelete({ kind: 'get', bucket: 'b', key: 'k' }), false);
});

test('the delete carries the context of the read, and what is left of the deadline', () => {
  const { sent, result } = run({ ...del, timeoutMs: 1_000 }, { kind: 'got', object }, { now: 10_000 });
  assert.deepEqual(sent[0], { kind: 'get', bucket: 'b', key: 'k', timeoutMs: 1_000 });
  assert.deepEqual(sent[1], { ...del, context: seen, timeoutMs: 700 });
  assert.deepEqual(result, { kind: 'stored', context: seen });
});

test('without a timeout of its own the delete shares the node default with the read', () => {
  const { sent } = run(del, { kind: 'got', object }, { now: 0 });
  assert.equal((sent[0] as { timeoutMs?: number }).timeoutMs, undefined);
  assert.equal((sent[1] as PutRequest).timeoutMs, 4_700);
});

test('a key nobody stores is deleted with no context, as before', () => {
  const { sent, result } = run(del, { kind: 'got', object: null }, { now: 0 });
  assert.equal((sent[1] as PutRequest).context, null);
  assert.equal(result?.kind, 'stored');
});

test('a read that fails fails the delete, and nothing is written', () => {
  const failed: ClientResult = { kind: 'error', code: 'quorum_not_met', message: 'read quorum not met', detail: { quorum: 'r', required: 2, received: 1 } };
  const { sent, result } = run(del, failed, { now: 0 });
  assert.equal(sent.length, 1);
  assert.deepEqual(result, failed);
});
