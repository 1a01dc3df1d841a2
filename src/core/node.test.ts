/**
 * The node as a pure state machine: inputs in, effects out, no runtime. These tests play the
 * runtime by hand — answering store effects and delivering peers' replies — to pin behaviour
 * that needs the whole node rather than one operation.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Effect } from './effects.ts';
import { defaultBucketProps, limits } from './limits.ts';
import { KvNode } from './node.ts';
import { createRing } from './ring/ring.ts';
import { defaultRequestLimits } from './validate.ts';
import { addDot, covers, emptyContext } from './version/causal-context.ts';
import { decodeContextToken, encodeContextToken } from './version/context-token.ts';
import type { CausalContext, StoredObject } from './version/types.ts';

const names = ['n1', 'n2', 'n3'];
const ring = createRing(names.map((name, i) => ({ name, address: `127.0.0.1:${7000 + i}`, httpUrl: `http://127.0.0.1:${8000 + i}`, capacity: 1 })), 8, 3);

function node(firstOpId = 1): KvNode {
  return new KvNode({ name: 'n1', actor: 'n1.a', ring, bucketProps: () => defaultBucketProps, requestTimeoutMs: 1_000, requestLimits: defaultRequestLimits, firstOpId });
}

/** A replica's object holding a full cloud of `actor`'s dots (counters 2, 4, …) and one sibling. */
function replicaObject(actor: string): StoredObject {
  let context: CausalContext = emptyContext;
  for (let i = 1; i <= limits.contextDotsMax; i++) context = addDot(context, [actor, 2 * i], i);
  const dot = context.dots[0]!;
  return { siblings: [{ dot, value: new Uint8Array([1]), contentType: 'x', lastModifiedMs: 1, deleted: false }], context };
}

function only<T extends Effect['type']>(effects: Effect[], type: T): Extract<Effect, { type: T }>[] {
  return effects.filter((effect): effect is Extract<Effect, { type: T }> => effect.type === type);
}

describe('KvNode', () => {
  test('a get whose replicas together hold more dots than a token may answers a context its next put accepts', () => {
    const kv = node();
    const effects = kv.step(1, { type: 'request', requestId: 7, request: { kind: 'get', bucket: 'b', key: 'k', r: 3 } });
    const [store] = only(effects, 'store');
    const reads = only(effects, 'send');
    assert.ok(store && reads.length === 2, 'reads its own disk and asks the two other replicas');
    kv.step(2, { type: 'stored', storeId: store.storeId, outcome: { ok: true, object: replicaObject('a'), previous: null } });
    kv.step(3, { type: 'message', from: reads[0]!.to, message: { kind: 'replicaReadReply', opId: reads[0]!.message.opId, object: replicaObject('b') } });
    const answered = kv.step(4, { type: 'message', from: reads[1]!.to, message: { kind: 'replicaReadReply', opId: reads[1]!.message.opId, object: replicaObject('c') } });
    const [reply] = only(answered, 'reply');
    assert.ok(reply && reply.result.kind === 'got' && reply.result.object, 'answers with the reconciled object');
    const { object } = reply.result;
    assert.equal(object.siblings.length, 3);
    const context = decodeContextToken(encodeContextToken(object.context)); // throws bad_context when over the bounds
    for (const sibling of object.siblings) assert.ok(covers(context, sibling.dot), 'the context still covers every sibling');
  });

  test('op ids start where the runtime says, so a restarted node does not reuse its previous ids', () => {
    const kv = node(1_000_000);
    const effects = kv.step(1, { type: 'request', requestId: 1, request: { kind: 'get', bucket: 'b', key: 'k' } });
    for (const send of only(effects, 'send')) assert.equal(send.message.opId, 1_000_000);
    assert.throws(() => node(0), /first op id/);
  });
});
