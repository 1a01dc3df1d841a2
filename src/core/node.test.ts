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
import { applyStoreOp } from './replica/store-op.ts';
import { partitionOf } from './ring/hash.ts';
import { createRing, extendedPreferenceList, preferenceList } from './ring/ring.ts';
import { silentTargetWaitMs } from './coordinator/sloppy-targets.ts';
import { defaultRequestLimits } from './validate.ts';
import { addDot, covers, emptyContext } from './version/causal-context.ts';
import { decodeTestToken, encodeTestToken } from './version/test-token.ts';
import type { CausalContext, StoredObject } from './version/types.ts';
import type { EpochsRecord } from './tombstones/epochs.ts';
import { defaultTombstoneSettings } from './tombstones/settings.ts';
import { fencedReadAsksMax } from './coordinator/get.ts';
import { speculativeAskMsMin } from './coordinator/reply-time.ts';

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

/** Steps `input`, then answers every flush it asked for as done at once: a disk that commits instantly. */
function stepFlushed(kv: KvNode, nowMs: number, input: Parameters<KvNode['step']>[1]): Effect[] {
  const effects = kv.step(nowMs, input);
  for (const flush of only(effects, 'flush')) effects.push(...kv.step(nowMs, { type: 'flushed', flushId: flush.flushId, ok: true }));
  return effects;
}

describe('KvNode', () => {
  test('a get whose replicas together hold more dots than a token may answers a context its next put accepts', () => {
    const kv = node();
    const effects = kv.step(1, { type: 'request', requestId: 7, request: { kind: 'get', bucket: 'b', key: 'k', r: 3 } });
    const [store] = only(effects, 'store');
    const reads = only(effects, 'send');
    assert.ok(store && reads.length === 2, 'reads its own disk and asks the two other replicas');
    kv.step(2, { type: 'stored', storeId: store.storeId, outcome: { ok: true, object: replicaObject('a'), previous: null } });
    kv.step(3, { type: 'message', from: reads[0]!.to, message: { kind: 'replicaReadReply', opId: reads[0]!.message.opId, object: replicaObject('b'), stamp: 0 } });
    const answered = kv.step(4, { type: 'message', from: reads[1]!.to, message: { kind: 'replicaReadReply', opId: reads[1]!.message.opId, object: replicaObject('c'), stamp: 0 } });
    const [reply] = only(answered, 'reply');
    assert.ok(reply && reply.result.kind === 'got' && reply.result.object, 'answers with the reconciled object');
    const { object } = reply.result;
    assert.equal(object.siblings.length, 3);
    const context = decodeTestToken(encodeTestToken(object.context)); // throws bad_context when over the bounds
    for (const sibling of object.siblings) assert.ok(covers(context, sibling.dot), 'the context still covers every sibling');
  });

  test('a get asks R replicas, its own disk first; one that fails is replaced by the next', () => {
    const kv = node();
    const effects = kv.step(1, { type: 'request', requestId: 1, request: { kind: 'get', bucket: 'b', key: 'k', r: 2 } });
    const [store] = only(effects, 'store');
    const [read, ...more] = only(effects, 'send');
    assert.ok(store && read && more.length === 0, 'its own disk and one replica');
    kv.step(2, { type: 'stored', storeId: store.storeId, outcome: { ok: true, object: null, previous: null } });
    const error = { kind: 'error' as const, code: 'unavailable' as const, message: 'disk failed' };
    const [next, ...others] = only(kv.step(3, { type: 'message', from: read.to, message: { kind: 'replicaReadReply', opId: read.message.opId, object: null, stamp: 0, error } }), 'send');
    assert.ok(next && others.length === 0 && next.to !== read.to && next.to !== 'n1', 'the third replica, in its place');
    const [reply] = only(kv.step(4, { type: 'message', from: next.to, message: { kind: 'replicaReadReply', opId: next.message.opId, object: null, stamp: 0 } }), 'reply');
    assert.equal(reply?.result.kind, 'got');
  });

  describe('a target that goes silent before the failure detector concludes (sloppy quorum, Dynamo §4.6)', () => {
    // Five nodes, so that every key has two fallbacks after its three primaries.
    const wide = createRing(['n1', 'n2', 'n3', 'n4', 'n5'].map((name, i) => ({ name, address: `127.0.0.1:${7000 + i}`, httpUrl: `http://127.0.0.1:${8000 + i}`, capacity: 1 })), 8, 3);
    const timeoutMs = 1_000;
    const waitMs = silentTargetWaitMs(timeoutMs);
    /** A key whose primaries start with n1, so that n1 coordinates it without forwarding. */
    const key = Array.from({ length: 1000 }, (_, i) => `k${i}`).find((k) => preferenceList(wide, partitionOf('b', k, 8), 3)[0] === 'n1')!;
    const [, silentA, silentB] = preferenceList(wide, partitionOf('b', key, 8), 3) as [string, string, string];
    const wideNode = (): KvNode =>
      new KvNode({ name: 'n1', actor: 'n1.a', ring: wide, bucketProps: () => defaultBucketProps, requestTimeoutMs: timeoutMs, requestLimits: defaultRequestLimits, firstOpId: 1 });
    /** The replica reads and writes among `effects` (ticks also send pings and gossip). */
    const replicaSends = (effects: Effect[]) => only(effects, 'send').filter((send) => send.message.kind === 'replicaRead' || send.message.kind === 'replicaWrite');

    test('a put asks a fallback in its place and meets W before the deadline', () => {
      const kv = wideNode();
      const [store] = only(kv.step(1, { type: 'request', requestId: 1, request: { kind: 'put', bucket: 'b', key, value: new Uint8Array([1]), contentType: 'x', deleted: false, context: null } }), 'store');
      const { outcome } = applyStoreOp(null, store!.op);
      const sent = replicaSends(stepFlushed(kv, 2, { type: 'stored', storeId: store!.storeId, outcome }));
      assert.deepEqual(sent.map((send) => send.to).sort(), [silentA, silentB].sort(), 'the primaries first');
      assert.deepEqual(replicaSends(kv.step(waitMs, { type: 'tick' })), [], 'nothing before the wait is over');
      const standIns = replicaSends(kv.step(1 + waitMs, { type: 'tick' }));
      assert.equal(standIns.length, 2, 'each silent primary gets a stand-in');
      for (const send of standIns) {
        assert.ok(send.message.kind === 'replicaWrite' && send.message.hintFor !== undefined && [silentA, silentB].includes(send.message.hintFor), 'as a hint for a silent primary');
        assert.ok(![silentA, silentB, 'n1'].includes(send.to), 'on a fallback');
      }
      const [first] = standIns;
      const [reply] = only(kv.step(2 + waitMs, { type: 'message', from: first!.to, message: { kind: 'replicaWriteReply', opId: first!.message.opId } }), 'reply');
      assert.equal(reply?.result.kind, 'stored', 'W=2: the coordinator and one stand-in');
      assert.equal(kv.counters.get('silentTargetFallbacks'), 2);
    });

    test('a stand-in is never the owner of a hint already placed: two of the W stores would end on one disk', () => {
      const kv = wideNode();
      const extended = extendedPreferenceList(wide, partitionOf('b', key, 8));
      const [, owner, silent, holder, spare] = extended as [string, string, string, string, string];
      kv.step(1, { type: 'deliveryFailed', to: owner, message: { kind: 'ping', opId: 1 } }); // the owner is down
      const [store] = only(kv.step(2, { type: 'request', requestId: 1, request: { kind: 'put', bucket: 'b', key, value: new Uint8Array([1]), contentType: 'x', deleted: false, context: null, w: 3 } }), 'store');
      const sent = replicaSends(kv.step(3, { type: 'stored', storeId: store!.storeId, outcome: applyStoreOp(null, store!.op).outcome }));
      const hinted = sent.find((send) => send.to === holder);
      assert.ok(hinted && hinted.message.kind === 'replicaWrite' && hinted.message.hintFor === owner, 'the next node keeps a hint for the owner');
      kv.step(4, { type: 'message', from: holder, message: { kind: 'replicaWriteReply', opId: hinted.message.opId } });
      kv.step(5, { type: 'message', from: owner, message: { kind: 'pong', opId: 1 } }); // the owner is back
      const standIns = replicaSends(kv.step(2 + waitMs, { type: 'tick' }));
      assert.deepEqual(standIns.map((send) => send.to), [spare], `${silent} is replaced by ${spare}, not by ${owner}, whose hint ${holder} holds`);
    });

    test('a primary that refuses the write (a new disk that does not know the epochs yet) is replaced like one that cannot be reached', () => {
      const kv = wideNode();
      const [store] = only(kv.step(1, { type: 'request', requestId: 1, request: { kind: 'put', bucket: 'b', key, value: new Uint8Array([1]), contentType: 'x', deleted: false, context: null, w: 3 } }), 'store');
      const sent = replicaSends(stepFlushed(kv, 2, { type: 'stored', storeId: store!.storeId, outcome: applyStoreOp(null, store!.op).outcome }));
      const toA = sent.find((send) => send.to === silentA)!;
      const toB = sent.find((send) => send.to === silentB)!;
      kv.step(3, { type: 'message', from: silentB, message: { kind: 'replicaWriteReply', opId: toB.message.opId } });
      const refusal = { kind: 'error' as const, code: 'unavailable' as const, message: 'node refuses objects, until it has learned the partition epochs from a member' };
      const [standIn] = replicaSends(kv.step(4, { type: 'message', from: silentA, message: { kind: 'replicaWriteReply', opId: toA.message.opId, error: refusal } }));
      assert.ok(standIn && standIn.message.kind === 'replicaWrite' && standIn.message.hintFor === silentA, 'the next node keeps a hint for the refusing primary');
      assert.ok(![silentA, silentB, 'n1'].includes(standIn.to));
      const [reply] = only(kv.step(5, { type: 'message', from: standIn.to, message: { kind: 'replicaWriteReply', opId: standIn.message.opId } }), 'reply');
      assert.equal(reply?.result.kind, 'stored', 'W = 3 met with the stand-in');
    });

    test('a silent primary that stores after its stand-in did is one copy, not two', () => {
      const kv = wideNode();
      const [store] = only(kv.step(1, { type: 'request', requestId: 1, request: { kind: 'put', bucket: 'b', key, value: new Uint8Array([1]), contentType: 'x', deleted: false, context: null, w: 3 } }), 'store');
      const sent = replicaSends(stepFlushed(kv, 2, { type: 'stored', storeId: store!.storeId, outcome: applyStoreOp(null, store!.op).outcome }));
      const standIns = replicaSends(kv.step(1 + waitMs, { type: 'tick' }));
      const standInFor = (owner: string) => standIns.find((send) => send.message.kind === 'replicaWrite' && send.message.hintFor === owner)!;
      const replyFrom = (nowMs: number, send: { to: string; message: { opId: number } }) =>
        only(kv.step(nowMs, { type: 'message', from: send.to, message: { kind: 'replicaWriteReply', opId: send.message.opId } }), 'reply');
      assert.deepEqual(replyFrom(2 + waitMs, standInFor(silentA)), [], 'two copies: the coordinator and a hint for A');
      // A's own store comes late: its stand-in's hint will be handed off into it, so still two.
      assert.deepEqual(replyFrom(3 + waitMs, sent.find((send) => send.to === silentA)!), [], 'W=3 is not met by A twice');
      const [reply] = replyFrom(4 + waitMs, standInFor(silentB));
      assert.equal(reply?.result.kind, 'stored', 'the third copy is for B');
    });

    test('a get asks the next node in place of a silent one and answers with R replies', () => {
      const kv = wideNode();
      const started = kv.step(1, { type: 'request', requestId: 1, request: { kind: 'get', bucket: 'b', key } });
      const [store] = only(started, 'store');
      assert.deepEqual(replicaSends(started).map((send) => send.to), [silentA], 'R=2: its own disk and the next primary');
      assert.deepEqual(only(kv.step(2, { type: 'stored', storeId: store!.storeId, outcome: { ok: true, object: null, previous: null } }), 'reply'), [], 'R=2 not met by itself');
      assert.deepEqual(replicaSends(kv.step(waitMs, { type: 'tick' })), [], 'no reply heard yet, so nothing to say it is late: the silent-target wait');
      const standIns = replicaSends(kv.step(1 + waitMs, { type: 'tick' }));
      assert.deepEqual(standIns.map((send) => send.to), [silentB], 'the primary not asked yet first');
      const [fallback] = replicaSends(kv.step(2 + waitMs, { type: 'deliveryFailed', to: silentB, message: standIns[0]!.message }));
      assert.ok(fallback && fallback.message.kind === 'replicaRead' && fallback.message.withHints, 'then a fallback, asked for its hints too');
      const [reply] = only(kv.step(4 + waitMs, { type: 'message', from: fallback.to, message: { kind: 'replicaReadReply', opId: fallback.message.opId, object: null, stamp: 0 } }), 'reply');
      assert.equal(reply?.result.kind, 'got');
    });

    test('only the targets still silent are replaced, and each once', () => {
      const kv = wideNode();
      const effects = kv.step(1, { type: 'request', requestId: 1, request: { kind: 'get', bucket: 'b', key, r: 3 } });
      const [store] = only(effects, 'store');
      const reads = replicaSends(effects);
      kv.step(2, { type: 'stored', storeId: store!.storeId, outcome: { ok: true, object: null, previous: null } });
      const early = reads.find((send) => send.to === silentA)!;
      kv.step(3, { type: 'message', from: silentA, message: { kind: 'replicaReadReply', opId: early.message.opId, object: null, stamp: 0 } });
      const standIns = replicaSends(kv.step(1 + waitMs, { type: 'tick' }));
      assert.equal(standIns.length, 1, 'only the node still silent');
      // Its delivery failing later does not bring a second stand-in.
      const late = reads.find((send) => send.to === silentB)!;
      assert.deepEqual(replicaSends(kv.step(2 + waitMs, { type: 'deliveryFailed', to: silentB, message: late.message })), []);
    });

    describe('a get whose replicas are late by the measure of the replies heard before (coordinator/reply-time.ts)', () => {
      const empty = { kind: 'replicaReadReply' as const, object: null, stamp: 0 };
      /** Starts a get of `getKey` at `nowMs`, its own disk answering empty at once: the replica reads sent. */
      const get = (kv: KvNode, requestId: number, nowMs: number, getKey = key, r?: number) => {
        const effects = kv.step(nowMs, { type: 'request', requestId, request: { kind: 'get', bucket: 'b', key: getKey, ...(r === undefined ? {} : { r }) } });
        for (const store of only(effects, 'store')) kv.step(nowMs, { type: 'stored', storeId: store.storeId, outcome: { ok: true, object: null, previous: null } });
        return replicaSends(effects);
      };
      /** A node whose gets have heard replicas answer in 1 ms, time after time. */
      const warmed = (): KvNode => {
        const kv = wideNode();
        for (let i = 0; i < 20; i++) {
          const [read] = get(kv, i + 1, 10 * i);
          assert.equal(only(kv.step(10 * i + 1, { type: 'message', from: read!.to, message: { ...empty, opId: read!.message.opId } }), 'reply').length, 1);
        }
        return kv;
      };
      const lateAtMs = 1_000 + speculativeAskMsMin;

      test('it asks the next primary beside the late one, long before the silent-target wait, and answers with it', () => {
        const kv = warmed();
        assert.deepEqual(get(kv, 99, 1_000).map((send) => send.to), [silentA]);
        assert.deepEqual(replicaSends(kv.step(lateAtMs - 1, { type: 'tick' })), [], 'not before speculativeAskMsMin');
        const [another, ...more] = replicaSends(kv.step(lateAtMs, { type: 'tick' }));
        assert.ok(speculativeAskMsMin < waitMs);
        assert.ok(another?.to === silentB && more.length === 0, 'one more, the primary not asked yet');
        const [reply] = only(kv.step(lateAtMs + 1, { type: 'message', from: silentB, message: { ...empty, opId: another.message.opId } }), 'reply');
        assert.equal(reply?.result.kind, 'got');
        assert.equal(kv.counters.get('lateReadAsks'), 1);
      });

      test('a coordinator outside the N asks one more of the N when its replicas are late, never a fallback: any R of the N meet any W', () => {
        const kv = warmed();
        const foreign = Array.from({ length: 1000 }, (_, i) => `f${i}`).find((k) => !preferenceList(wide, partitionOf('b', k, 8), 3).includes('n1'))!;
        const primaries = preferenceList(wide, partitionOf('b', foreign, 8), 3);
        const asked = get(kv, 99, 1_000, foreign);
        assert.deepEqual(asked.map((send) => send.to), primaries.slice(0, 2));
        const extra = replicaSends(kv.step(lateAtMs, { type: 'tick' }));
        assert.deepEqual(extra.map((send) => send.to), [primaries[2]], 'the third primary, once');
        assert.deepEqual(replicaSends(kv.step(lateAtMs + 20, { type: 'tick' })), [], 'and nobody else before the silent-target wait');
      });

      test('two silent primaries: the late check asks one, the silent-target wait gives each a stand-in, and the get meets R', () => {
        const kv = warmed();
        get(kv, 99, 1_000);
        assert.deepEqual(replicaSends(kv.step(lateAtMs, { type: 'tick' })).map((send) => send.to), [silentB]);
        const standIns = replicaSends(kv.step(1_000 + waitMs, { type: 'tick' }));
        assert.equal(standIns.length, 2, 'a fallback for each node still silent');
        const [first] = standIns;
        const [reply] = only(kv.step(1_001 + waitMs, { type: 'message', from: first!.to, message: { ...empty, opId: first!.message.opId } }), 'reply');
        assert.equal(reply?.result.kind, 'got');
      });

      test('the late node\'s companion failing does not leave the get waiting on the late node alone: it gets a stand-in when silent', () => {
        const kv = warmed();
        get(kv, 99, 1_000);
        const [companion] = replicaSends(kv.step(lateAtMs, { type: 'tick' }));
        const error = { kind: 'error' as const, code: 'unavailable' as const, message: 'disk failed' };
        assert.deepEqual(replicaSends(kv.step(lateAtMs + 1, { type: 'message', from: silentB, message: { ...empty, opId: companion!.message.opId, error } })), [], 'none of the N is left to ask');
        const [standIn] = replicaSends(kv.step(1_000 + waitMs, { type: 'tick' }));
        assert.ok(standIn && ![silentA, silentB, 'n1'].includes(standIn.to), `${silentA}, still silent, gets a stand-in`);
        const [reply] = only(kv.step(1_001 + waitMs, { type: 'message', from: standIn.to, message: { ...empty, opId: standIn.message.opId } }), 'reply');
        assert.equal(reply?.result.kind, 'got');
      });

      test('at R = N every replica was asked: the late one gets its stand-in then, not after the silent-target wait', () => {
        const kv = warmed();
        assert.equal(get(kv, 99, 1_000, key, 3).length, 2);
        const [standIn] = replicaSends(kv.step(lateAtMs, { type: 'tick' }));
        assert.ok(standIn && standIn.message.kind === 'replicaRead' && standIn.message.withHints && ![silentA, silentB, 'n1'].includes(standIn.to), 'a fallback, asked for its hints');
        kv.step(lateAtMs + 1, { type: 'message', from: silentB, message: { ...empty, opId: standIn.message.opId } });
        const [reply] = only(kv.step(lateAtMs + 2, { type: 'message', from: standIn.to, message: { ...empty, opId: standIn.message.opId } }), 'reply');
        assert.equal(reply?.result.kind, 'got', `R = 3: its own disk, ${silentB} and the stand-in for ${silentA}`);
      });

      test('an error reply does not teach the estimate: errors come fast whatever the load', () => {
        const kv = wideNode();
        const error = { kind: 'error' as const, code: 'unavailable' as const, message: 'disk failed' };
        for (let i = 0; i < 20; i++) {
          const [read] = get(kv, i + 1, 10 * i);
          kv.step(10 * i + 1, { type: 'message', from: read!.to, message: { ...empty, opId: read!.message.opId, error } });
        }
        const [read] = get(kv, 99, 1_000);
        const sent = replicaSends(kv.step(lateAtMs + 50, { type: 'tick' })).filter((send) => send.message.opId === read!.message.opId);
        assert.deepEqual(sent, [], 'no reply heard: no late check, only the silent-target wait');
      });
    });

    test('a coordinator that is a fallback asks in list order, primaries first: its own copy holds only hints', () => {
      const kv = wideNode();
      const extended = extendedPreferenceList(wide, partitionOf('b', key, 8));
      // A key whose first fallback is n1, with a primary down.
      const fallbackKey = Array.from({ length: 1000 }, (_, i) => `h${i}`).find((k) => extendedPreferenceList(wide, partitionOf('b', k, 8))[3] === 'n1')!;
      const [down, second, third] = extendedPreferenceList(wide, partitionOf('b', fallbackKey, 8)) as [string, string, string];
      assert.ok(extended.length === 5);
      kv.step(1, { type: 'deliveryFailed', to: down, message: { kind: 'ping', opId: 1 } });
      const effects = kv.step(2, { type: 'request', requestId: 1, request: { kind: 'get', bucket: 'b', key: fallbackKey } });
      assert.deepEqual(replicaSends(effects).map((send) => send.to), [second, third], 'the reachable primaries, not its own hints and one of them');
    });
  });

  test('a put waits for its writer\'s new generation to reach the disk, then is coordinated, once', () => {
    const kv = node();
    const dot = ['n1.a', 1] as const;
    const own: StoredObject = { siblings: [{ dot, value: new Uint8Array(), contentType: '', lastModifiedMs: 1, deleted: true }], context: addDot(emptyContext, dot, 1) };
    kv.step(1, { type: 'message', from: 'n2', message: { kind: 'tombRemove', opId: 1, partition: 0, epoch: 0, entries: [{ bucket: 'b', key: 'x', object: own }] } });
    const put = { kind: 'put' as const, bucket: 'b', key: 'k', value: new Uint8Array([1]), contentType: 'x', deleted: false, context: null };
    const waiting = kv.step(2, { type: 'request', requestId: 1, request: put });
    const [flush] = only(waiting, 'flush');
    assert.ok(flush, 'the put waits for a flush');
    assert.equal(only(waiting, 'store').filter((store) => store.op.kind === 'coordinate').length, 0, 'and coordinates nothing before it');
    const flushed = kv.step(3, { type: 'flushed', flushId: flush.flushId, ok: true });
    assert.equal(only(flushed, 'store').filter((store) => store.op.kind === 'coordinate').length, 1, 'coordinated once the generation is on disk');
    assert.equal(only(flushed, 'flush').length, 0, 'with no second flush');
    const next = kv.step(4, { type: 'request', requestId: 2, request: { ...put, key: 'k2' } });
    assert.equal(only(next, 'store').filter((store) => store.op.kind === 'coordinate').length, 1, 'and the next put starts at once');
  });

  test('a put that waited for its writer\'s new generation to reach the disk is routed again if the ring changed meanwhile', () => {
    // Seed 840 of --converge-by antiEntropy: a join committed during a slow disk's flush, and the
    // put was coordinated by a node that had just stopped being a primary (f3eced02).
    const kv = node();
    const key = Array.from({ length: 100 }, (_, i) => `k${i}`).find((k) => preferenceList(ring, partitionOf('solo', k, 8), 1)[0] !== 'n1')!;
    const owner = preferenceList(ring, partitionOf('solo', key, 8), 1)[0]!;
    // A round removes a tombstone holding one of n1's own dots: its writer moves to a new generation.
    const dot = ['n1.a', 1] as const;
    const own: StoredObject = { siblings: [{ dot, value: new Uint8Array(), contentType: '', lastModifiedMs: 1, deleted: true }], context: addDot(emptyContext, dot, 1) };
    const dropped = kv.step(1, { type: 'message', from: 'n2', message: { kind: 'tombRemove', opId: 1, partition: 0, epoch: 0, entries: [{ bucket: 'b', key: 'x', object: own }] } });
    assert.ok(only(dropped, 'meta').length > 0, 'the new generation is recorded');
    const put = { kind: 'put' as const, bucket: 'solo', key, value: new Uint8Array([1]), contentType: 'x', deleted: false, context: null };
    const waiting = kv.step(2, { type: 'request', requestId: 1, request: put });
    const [flush] = only(waiting, 'flush');
    assert.ok(flush, 'the put waits for a flush');
    assert.equal(only(waiting, 'store').filter((store) => store.op.kind === 'coordinate').length, 0);
    // Meanwhile the ring changes: the bucket is set to N = 1, whose only replica is not n1.
    kv.command(3, (membership) => membership.setBucketProps('solo', { ...defaultBucketProps, n: 1, r: 1, w: 1 }));
    const flushed = kv.step(4, { type: 'flushed', flushId: flush.flushId, ok: true });
    assert.equal(only(flushed, 'store').filter((store) => store.op.kind === 'coordinate').length, 0, 'not coordinated here, where it was routed at arrival');
    const forwards = only(flushed, 'send').filter((send) => send.message.kind === 'forward');
    assert.deepEqual(forwards.map((send) => send.to), [owner], 'forwarded to the key\'s primary in the ring as it is now');
  });

  test('op ids start where the runtime says, so a restarted node does not reuse its previous ids', () => {
    const kv = node(1_000_000);
    const effects = kv.step(1, { type: 'request', requestId: 1, request: { kind: 'get', bucket: 'b', key: 'k' } });
    for (const send of only(effects, 'send')) assert.equal(send.message.opId, 1_000_000);
    assert.throws(() => node(0), /first op id/);
  });

  describe('the epoch fence of tombstone collection (core/tombstones/epochs.ts)', () => {
    const partition = partitionOf('b', 'k', ring.partitionCount);
    const object = replicaObject('n2.b');
    const fenced = (epochs: EpochsRecord | null) =>
      new KvNode({ name: 'n1', actor: 'n1.a', ring, bucketProps: () => defaultBucketProps, requestTimeoutMs: 1_000, requestLimits: defaultRequestLimits, firstOpId: 1, tombstoneEpochs: epochs });

    test('a replica write read before the partition was fenced is refused, and its sender told the epoch', () => {
      const kv = fenced({ known: true, member: true, fresh: false, epochs: [[partition, 3, 2]] });
      const write = { kind: 'replicaWrite' as const, opId: 5, partition, bucket: 'b', key: 'k', object };
      const refused = kv.step(1, { type: 'message', from: 'n2', message: { ...write, stamp: 2 } });
      assert.equal(only(refused, 'store').length, 0, 'nothing is stored');
      const messages = only(refused, 'send').map((send) => send.message);
      const reply = messages.find((message) => message.kind === 'replicaWriteReply');
      const epochs = messages.find((message) => message.kind === 'epochsReply');
      assert.ok(reply?.kind === 'replicaWriteReply' && reply.error?.code === 'unavailable', 'the write is not acknowledged');
      assert.deepEqual(epochs?.kind === 'epochsReply' && epochs.epochs, [[partition, 3, 2]]);
      const taken = kv.step(2, { type: 'message', from: 'n2', message: { ...write, opId: 6, stamp: 3 } });
      assert.equal(only(taken, 'store').length, 1, 'one read after the fence is stored');
    });

    /** n1 coordinates a put (W = 3) at epoch 2 of the partition; n3 stores it, n2 has not answered. */
    const putAtEpoch2 = () => {
      const kv = fenced({ known: true, member: true, fresh: false, epochs: [[partition, 2, 2]] });
      const request = { kind: 'put' as const, bucket: 'b', key: 'k', value: new Uint8Array([7]), contentType: 'x', deleted: false, context: null, w: 3 };
      const [coordinate] = only(kv.step(1, { type: 'request', requestId: 1, request }), 'store');
      const written = applyStoreOp(null, coordinate!.op);
      const writes = only(stepFlushed(kv, 2, { type: 'stored', storeId: coordinate!.storeId, outcome: written.outcome }), 'send').filter((send) => send.message.kind === 'replicaWrite');
      const toN2 = writes.find((send) => send.to === 'n2')!;
      const toN3 = writes.find((send) => send.to === 'n3')!;
      kv.step(3, { type: 'message', from: 'n3', message: { kind: 'replicaWriteReply', opId: toN3.message.opId } });
      return { kv, written, toN2 };
    };

    test('the refusal says the epoch: a put coordinated across a fence sends its copy again, read after it, and meets W', () => {
      const replica = fenced({ known: true, member: true, fresh: false, epochs: [[partition, 3, 2]] });
      const [refusal] = only(replica.step(1, { type: 'message', from: 'n3', message: { kind: 'replicaWrite', opId: 9, partition, bucket: 'b', key: 'k', object, stamp: 2 } }), 'send')
        .map((send) => send.message)
        .filter((message) => message.kind === 'replicaWriteReply');
      assert.ok(refusal?.kind === 'replicaWriteReply');
      assert.deepEqual(refusal.error?.detail, { partition, fencedEpoch: 3 });
      // n1 coordinates a put (W = 3) at epoch 2; n2 was fenced at 3 meanwhile.
      const { kv, written, toN2 } = putAtEpoch2();
      const waiting = kv.step(4, { type: 'message', from: 'n2', message: { ...refusal, opId: toN2.message.opId } });
      assert.deepEqual(only(waiting, 'reply'), [], 'n2 is neither counted nor given up while n1 is behind the fence');
      assert.equal(only(waiting, 'store').length, 0);
      const duplicated = kv.step(4, { type: 'message', from: 'n2', message: { ...refusal, opId: toN2.message.opId } });
      assert.deepEqual(only(duplicated, 'reply'), [], 'the same refusal delivered twice is not an answer to the second sending');
      const caughtUp = kv.step(5, { type: 'message', from: 'n2', message: { kind: 'epochsReply', opId: 1, known: true, complete: false, toMember: true, epochs: [[partition, 3, 2]] } });
      const [reread] = only(caughtUp, 'store').filter((effect) => effect.op.kind === 'read');
      assert.ok(reread, 'its copy is read again once it has the epoch');
      const [again] = only(kv.step(6, { type: 'stored', storeId: reread.storeId, outcome: { ok: true, object: written.write!, previous: written.write! } }), 'send');
      assert.ok(again?.to === 'n2' && again.message.kind === 'replicaWrite' && again.message.stamp === 3, 'and sent to n2 again, stamped after the fence');
      assert.deepEqual(only(kv.step(7, { type: 'message', from: 'n2', message: { ...refusal, opId: toN2.message.opId } }), 'reply'), [], 'nor is a late copy of it');
      const [reply] = only(kv.step(7, { type: 'message', from: 'n2', message: { kind: 'replicaWriteReply', opId: toN2.message.opId } }), 'reply');
      assert.equal(reply?.result.kind, 'stored');
      assert.equal(kv.counters.get('fencedWriteRetries'), 1);
    });

    test('a put whose copy is refused again because a second round fenced the partition meanwhile sends it once more, read after both', () => {
      // Seed 747 of --converge-by readRepair: rounds at epochs 4 and 5 followed each other, both
      // replicas refused twice, and the put failed while every primary was reachable.
      const { kv, written, toN2 } = putAtEpoch2();
      const refusal = (epoch: number) => ({ kind: 'replicaWriteReply' as const, opId: toN2.message.opId, error: { kind: 'error' as const, code: 'unavailable' as const, message: 'fenced', detail: { partition, fencedEpoch: epoch } } });
      const catchUp = (nowMs: number, epoch: number) => kv.step(nowMs, { type: 'message', from: 'n2', message: { kind: 'epochsReply', opId: 1, known: true, complete: false, toMember: true, epochs: [[partition, epoch, 2]] } });
      let nowMs = 4;
      for (const epoch of [3, 4]) {
        assert.deepEqual(only(kv.step(nowMs++, { type: 'message', from: 'n2', message: refusal(epoch) }), 'reply'), [], `the refusal at epoch ${epoch} is not an answer`);
        const [reread] = only(catchUp(nowMs++, epoch), 'store').filter((effect) => effect.op.kind === 'read');
        assert.ok(reread, `its copy is read again once it has epoch ${epoch}`);
        const [again] = only(kv.step(nowMs++, { type: 'stored', storeId: reread.storeId, outcome: { ok: true, object: written.write!, previous: written.write! } }), 'send');
        assert.ok(again?.to === 'n2' && again.message.kind === 'replicaWrite' && again.message.stamp === epoch, `and sent to n2 again, stamped ${epoch}`);
      }
      assert.deepEqual(only(kv.step(nowMs++, { type: 'message', from: 'n2', message: refusal(4) }), 'reply'), [], 'a late copy of the second refusal is no answer to the third sending');
      const [reply] = only(kv.step(nowMs++, { type: 'message', from: 'n2', message: { kind: 'replicaWriteReply', opId: toN2.message.opId } }), 'reply');
      assert.equal(reply?.result.kind, 'stored');
      assert.equal(kv.counters.get('fencedWriteRetries'), 2);
    });

    test('a refused primary counts as stored when the round that fenced the partition removed the key from this node too: it held the version, collected', () => {
      // Seed 1353: a blind delete's tombstone and the next delete's were collected while the
      // first was in flight; its coordinator found its copy gone and reported quorum_not_met.
      const { kv, toN2 } = putAtEpoch2();
      const refusal = { kind: 'replicaWriteReply' as const, opId: toN2.message.opId, error: { kind: 'error' as const, code: 'unavailable' as const, message: 'fenced', detail: { partition, fencedEpoch: 3 } } };
      kv.step(4, { type: 'message', from: 'n2', message: refusal });
      const [reread] = only(kv.step(5, { type: 'message', from: 'n2', message: { kind: 'epochsReply', opId: 1, known: true, complete: false, toMember: true, epochs: [[partition, 3, 2]] } }), 'store').filter((effect) => effect.op.kind === 'read');
      assert.ok(reread, 'its copy is read again once it has the epoch');
      const gone = kv.step(6, { type: 'stored', storeId: reread.storeId, outcome: { ok: true, object: null, previous: null } });
      assert.deepEqual(only(gone, 'send').filter((send) => send.message.kind === 'replicaWrite'), [], 'nothing to send: the key was collected');
      assert.equal(only(gone, 'reply')[0]?.result.kind, 'stored', 'W = 3: itself, n3, and n2 which held what was collected');
    });

    test('a node with a new disk refuses every object, and every request, until it knows the epochs', () => {
      const kv = fenced(null);
      const effects = kv.step(1, { type: 'message', from: 'n2', message: { kind: 'replicaWrite', opId: 5, partition, bucket: 'b', key: 'k', object, stamp: 99 } });
      assert.equal(only(effects, 'store').length, 0);
      const put = kv.step(2, { type: 'request', requestId: 1, request: { kind: 'put', bucket: 'b', key: 'k', value: new Uint8Array([1]), contentType: 'x', deleted: false, context: null } });
      assert.equal(only(put, 'store').length, 0, 'its write would be refused everywhere and stay on its disk');
      const [reply] = only(put, 'reply');
      assert.ok(reply?.result.kind === 'error' && reply.result.code === 'unavailable');
    });

    /** A get at R = 3 of a node fenced at epoch 3: its own read is answered empty; `reply` answers n2's or n3's read. */
    const fencedGet = () => {
      const kv = fenced({ known: true, member: true, fresh: false, epochs: [[partition, 3, 3]] });
      const effects = kv.step(1, { type: 'request', requestId: 1, request: { kind: 'get', bucket: 'b', key: 'k', r: 3 } });
      const [store] = only(effects, 'store');
      const reads = only(effects, 'send');
      kv.step(2, { type: 'stored', storeId: store!.storeId, outcome: { ok: true, object: null, previous: null } });
      const reply = (nowMs: number, i: number, answer: StoredObject | null, stamp: number) =>
        kv.step(nowMs, { type: 'message', from: reads[i]!.to, message: { kind: 'replicaReadReply', opId: reads[i]!.message.opId, object: answer, stamp } });
      return { reads, reply };
    };

    test('a get asks its replicas to read at or after its own epoch', () => {
      const { reads } = fencedGet();
      assert.deepEqual(
        reads.map((send) => send.message.kind === 'replicaRead' && send.message.epoch),
        [3, 3],
      );
    });

    test('a replica behind a get coordinated across a fence is told the epoch and asked again, and the get meets R', () => {
      // The collector fences its own disk first: for a moment every other replica answers from before.
      const { reads, reply } = fencedGet();
      const stale = reply(3, 0, null, 2);
      assert.deepEqual(
        only(stale, 'send').map((send) => [send.to, send.message.kind, send.message.kind === 'replicaRead' && send.message.epoch]),
        [
          [reads[0]!.to, 'epochsReply', false],
          [reads[0]!.to, 'replicaRead', 3],
        ],
        'told the epoch, then asked again',
      );
      assert.equal(only(stale, 'reply').length, 0, 'not failed');
      reply(4, 1, null, 3);
      const [answer] = only(reply(5, 0, object, 3), 'reply');
      assert.ok(answer?.result.kind === 'got' && answer.result.object?.siblings.length === 1, 'answers with what the replica read after the fence');
    });

    test('a get does not answer with, nor repair from, a reply read before the fence, however often asked', () => {
      const { reads, reply } = fencedGet();
      reply(3, 1, null, 3);
      let last: Effect[] = [];
      let askedAgain = 0;
      for (let asked = 0; asked <= fencedReadAsksMax; asked++) {
        last = reply(4 + asked, 0, object, 2);
        askedAgain += only(last, 'send').filter((send) => send.to === reads[0]!.to && send.message.kind === 'replicaRead').length;
      }
      assert.equal(askedAgain, fencedReadAsksMax, 'the node staying behind is asked again fencedReadAsksMax times, then given up');
      const [answer] = only(last, 'reply');
      assert.equal(answer?.result.kind, 'error', 'R = 3 is not met by two fresh answers and a node that stays behind');
      assert.equal(only(last, 'store').length + only(last, 'send').filter((send) => send.message.kind === 'replicaWrite').length, 0, 'the stale object is repaired nowhere');
    });

    test('the coordinator\'s own read, made before a fence that reached it meanwhile, is made again', () => {
      const kv = fenced({ known: true, member: true, fresh: false, epochs: [[partition, 3, 3]] });
      const effects = kv.step(1, { type: 'request', requestId: 1, request: { kind: 'get', bucket: 'b', key: 'k', r: 3 } });
      const [store] = only(effects, 'store');
      const reads = only(effects, 'send');
      kv.step(2, { type: 'message', from: 'n2', message: { kind: 'epochsReply', opId: 1, known: true, complete: false, toMember: true, epochs: [[partition, 4, 3]] } });
      const stale = kv.step(3, { type: 'stored', storeId: store!.storeId, outcome: { ok: true, object, previous: object } });
      const [again] = only(stale, 'store');
      assert.equal(again?.op.kind, 'read', 'read again: its own disk is fenced like any other');
      assert.equal(kv.counters.get('fencedReadRetries'), 1);
      kv.step(4, { type: 'stored', storeId: again.storeId, outcome: { ok: true, object: null, previous: null } });
      kv.step(5, { type: 'message', from: reads[0]!.to, message: { kind: 'replicaReadReply', opId: reads[0]!.message.opId, object: null, stamp: 4 } });
      const [answer] = only(kv.step(6, { type: 'message', from: reads[1]!.to, message: { kind: 'replicaReadReply', opId: reads[1]!.message.opId, object: null, stamp: 4 } }), 'reply');
      assert.ok(answer?.result.kind === 'got' && answer.result.object === null, 'answers with what was read after the fence, not the older copy');
    });

    test('a get repairs nothing when a round fenced the partition here after some of its replies were read', () => {
      // Its reconciled version may hold a tombstone that round collected.
      const kv = fenced({ known: true, member: true, fresh: false, epochs: [[partition, 3, 3]] });
      const effects = kv.step(1, { type: 'request', requestId: 1, request: { kind: 'get', bucket: 'b', key: 'k', r: 3 } });
      const [store] = only(effects, 'store');
      const reads = only(effects, 'send');
      kv.step(2, { type: 'stored', storeId: store!.storeId, outcome: { ok: true, object: null, previous: null } });
      kv.step(3, { type: 'message', from: reads[0]!.to, message: { kind: 'replicaReadReply', opId: reads[0]!.message.opId, object, stamp: 3 } });
      kv.step(4, { type: 'message', from: 'n2', message: { kind: 'epochsReply', opId: 1, known: true, complete: false, toMember: true, epochs: [[partition, 4, 3]] } });
      const last = kv.step(5, { type: 'message', from: reads[1]!.to, message: { kind: 'replicaReadReply', opId: reads[1]!.message.opId, object: null, stamp: 4 } });
      assert.equal(only(last, 'reply')[0]?.result.kind, 'got');
      assert.deepEqual(only(last, 'send').filter((send) => send.message.kind === 'replicaWrite'), [], `${reads[1]!.to}, which answered empty after the fence, is not sent what was read before it`);
      assert.deepEqual(only(last, 'store'), [], 'nor its own disk');
    });

    test('a replica read for a coordinator ahead of it waits for its own fence, at most readFenceWaitMs', () => {
      const kv = fenced({ known: true, member: true, fresh: false, epochs: [[partition, 2, 2]] });
      const read = { kind: 'replicaRead' as const, opId: 9, partition, bucket: 'b', key: 'k', epoch: 3 };
      assert.equal(only(kv.step(1, { type: 'message', from: 'n2', message: read }), 'store').length, 0, 'waits: a read now would be refused');
      const fenceAtMs = 50;
      assert.ok(fenceAtMs < 1 + defaultTombstoneSettings.readFenceWaitMs, 'the fence comes well before the read is due by time');
      assert.equal(only(kv.step(fenceAtMs - 1, { type: 'tick' }), 'store').length, 0);
      // Its fence comes (here as a peer's epochs): the read is made at once, stamped after it.
      const raised = kv.step(fenceAtMs, { type: 'message', from: 'n2', message: { kind: 'epochsReply', opId: 1, known: true, complete: false, toMember: true, epochs: [[partition, 3, 2]] } });
      const [store] = only(raised, 'store');
      assert.equal(store?.op.kind, 'read', 'made when the fence comes, not when its time is up');
      const served = kv.step(fenceAtMs + 1, { type: 'stored', storeId: store!.storeId, outcome: { ok: true, object: null, previous: null } });
      const [sent] = only(served, 'send');
      assert.ok(sent?.message.kind === 'replicaReadReply' && sent.message.stamp === 3);

      const alone = fenced({ known: true, member: true, fresh: false, epochs: [[partition, 2, 2]] });
      alone.step(1, { type: 'message', from: 'n2', message: read });
      const [late] = only(alone.step(1 + defaultTombstoneSettings.readFenceWaitMs, { type: 'tick' }), 'store');
      assert.equal(late?.op.kind, 'read', 'no fence within readFenceWaitMs: read anyway (the coordinator refuses it, and tells it the epoch)');
      assert.equal(only(fenced({ known: true, member: true, fresh: false, epochs: [[partition, 3, 2]] }).step(1, { type: 'message', from: 'n2', message: read }), 'store').length, 1, 'a replica not behind reads at once');
    });

    describe('late copies of a tombstone a round removed here (core/tombstones/collected.ts)', () => {
      const dot = ['n2.b', 1] as const;
      const tombstone: StoredObject = { siblings: [{ dot, value: new Uint8Array(), contentType: '', lastModifiedMs: 1, deleted: true }], context: addDot(emptyContext, dot, 1) };
      /** n1 at epoch 3 removes `tombstone` in the round of epoch 3. */
      const removed = () => {
        const kv = fenced({ known: true, member: true, fresh: false, epochs: [[partition, 3, 3]] });
        const effects = kv.step(1, { type: 'message', from: 'n2', message: { kind: 'tombRemove', opId: 1, partition, epoch: 3, entries: [{ bucket: 'b', key: 'k', object: tombstone }] } });
        assert.ok(only(effects, 'store').some((store) => store.op.kind === 'dropIfUnchanged'));
        return kv;
      };
      const write = (stamp: number, copy: StoredObject) => ({ kind: 'replicaWrite' as const, opId: 5, partition, bucket: 'b', key: 'k', object: copy, stamp });

      test('a copy read at the round\'s epoch, before its holder removed it, is acknowledged and not stored back', () => {
        const kv = removed();
        const effects = kv.step(2, { type: 'message', from: 'n3', message: write(3, tombstone) });
        assert.equal(only(effects, 'store').length, 0, 'not planted back');
        const [reply] = only(effects, 'send');
        assert.ok(reply?.message.kind === 'replicaWriteReply' && reply.message.error === undefined, 'acknowledged: the round collected it');
        const repair = kv.step(3, { type: 'message', from: 'n3', message: { kind: 'aaeRepair', opId: 6, partition, stamp: 3, objects: [{ bucket: 'b', key: 'k', object: tombstone }] } });
        assert.equal(only(repair, 'store').length, 0, 'nor by anti-entropy');
      });

      test('a newer write is stored, and so is the same copy once removedCopiesWindowMs has passed', () => {
        const kv = removed();
        assert.equal(only(kv.step(2, { type: 'message', from: 'n3', message: write(3, object) }), 'store').length, 1, 'a write the tombstone had not seen');
        const later = 2 + defaultTombstoneSettings.removedCopiesWindowMs;
        assert.equal(only(kv.step(later, { type: 'message', from: 'n3', message: write(3, tombstone) }), 'store').length, 1, 'from a replica that kept it: repaired back, for a later round');
      });

      test('a get\'s read repair made at its longest deadline, from a copy read before its holder\'s removal, is not stored back', () => {
        // Repairs go out when the get ends: at its deadline when a node is slow, up to requestTimeoutMsMax.
        const kv = removed();
        const late = 1 + limits.requestTimeoutMsMax + 1_000;
        assert.ok(late < 1 + defaultTombstoneSettings.removedCopiesWindowMs, 'the window outlasts the longest get');
        const effects = kv.step(late, { type: 'message', from: 'n3', message: { ...write(3, tombstone), durable: false } });
        assert.equal(only(effects, 'store').length, 0, 'not planted back');
      });

      test('a copy stamped after a later round\'s fence, from a replica whose remove came late, is not stored back either', () => {
        const kv = removed();
        kv.step(2, { type: 'message', from: 'n2', message: { kind: 'epochsReply', opId: 1, known: true, complete: false, toMember: true, epochs: [[partition, 4, 3]] } });
        const effects = kv.step(3, { type: 'message', from: 'n3', message: write(4, tombstone) });
        assert.equal(only(effects, 'store').length, 0, 'not planted back');
        const [reply] = only(effects, 'send');
        assert.ok(reply?.message.kind === 'replicaWriteReply' && reply.message.error === undefined);
      });

      test('a hint of it handed back is acknowledged and not stored back', () => {
        const kv = removed();
        const effects = kv.step(2, { type: 'message', from: 'n3', message: { kind: 'hintDeliver', opId: 8, partition, bucket: 'b', key: 'k', object: tombstone, stamp: 3 } });
        assert.equal(only(effects, 'store').length, 0, 'not planted back');
        const [reply] = only(effects, 'send');
        assert.ok(reply?.message.kind === 'hintDeliverReply' && reply.message.error === undefined, 'acknowledged: its holder may drop it');
      });

      test('a transfer chunk holding it (a stray hand-off scanned before its sender\'s removal) is acknowledged and not stored back', () => {
        const kv = removed();
        const chunk = { kind: 'transferChunk' as const, opId: 9, version: ring.version, partition, entries: [{ bucket: 'b', key: 'k', object: tombstone }], last: false, stamp: 3 };
        const effects = stepFlushed(kv, 2, { type: 'message', from: 'n3', message: chunk });
        assert.equal(only(effects, 'store').length, 0, 'not planted back');
        const acks = only(effects, 'send').filter((send) => send.message.kind === 'transferAck');
        assert.ok(acks.length === 1 && acks[0]!.message.kind === 'transferAck' && acks[0]!.message.error === undefined, 'acknowledged: its sender may drop it');
        const newer = stepFlushed(kv, 3, { type: 'message', from: 'n3', message: { ...chunk, opId: 10, entries: [...chunk.entries, { bucket: 'b', key: 'j', object: tombstone }] } });
        assert.deepEqual(only(newer, 'store').map((store) => store.key), ['j'], 'the other entries of a chunk are stored');
      });

      test('a get\'s own read repair does not store it back on this node', () => {
        const kv = removed();
        const effects = kv.step(2, { type: 'request', requestId: 1, request: { kind: 'get', bucket: 'b', key: 'k', r: 3 } });
        const [store] = only(effects, 'store').filter((effect) => effect.op.kind === 'read');
        const reads = only(effects, 'send');
        kv.step(3, { type: 'stored', storeId: store!.storeId, outcome: { ok: true, object: null, previous: null } });
        kv.step(4, { type: 'message', from: reads[0]!.to, message: { kind: 'replicaReadReply', opId: reads[0]!.message.opId, object: tombstone, stamp: 3 } });
        const last = kv.step(5, { type: 'message', from: reads[1]!.to, message: { kind: 'replicaReadReply', opId: reads[1]!.message.opId, object: tombstone, stamp: 3 } });
        assert.equal(only(last, 'reply')[0]?.result.kind, 'got');
        assert.deepEqual(only(last, 'store'), [], 'its own disk, read empty after the removal, is not repaired with the removed tombstone');
        assert.equal(kv.counters.get('tombstones.removedCopiesDropped'), 1);
      });
    });
  });

  describe('listings and bucket properties (issue 12 §6, §7)', () => {
    /**
     * Answers every list scan of `effects` from `stored` (per partition, sorted items) — and, with
     * `peersToo`, every list read sent to a peer — then what those answers ask for in turn.
     */
    function answerScans(kv: KvNode, nowMs: number, effects: Effect[], stored: (partition: number) => string[], failing = new Set<number>(), peersToo = false): Effect[] {
      const out: Effect[] = [];
      const chunkOf = (partition: number, after: string | null, itemsMax: number) => {
        const items = stored(partition).filter((key) => after === null || key > after);
        return { items: items.slice(0, itemsMax), next: items.length > itemsMax ? items[itemsMax - 1]! : null };
      };
      let queue = effects;
      while (queue.length > 0) {
        const next: Effect[] = [];
        for (const scan of only(queue, 'listScan')) {
          const ok = !failing.has(scan.partition);
          const chunk = ok ? chunkOf(scan.partition, scan.after, scan.itemsMax) : { items: [], next: null };
          const answered = kv.step(nowMs, { type: 'listScanned', scanId: scan.scanId, ok, ...chunk });
          out.push(...answered);
          next.push(...answered);
        }
        for (const { to, message } of peersToo ? only(queue, 'send') : []) {
          if (message.kind !== 'listRead') continue;
          const answered = kv.step(nowMs, { type: 'message', from: to, message: { kind: 'listReadReply', opId: message.opId, ...chunkOf(message.partition, message.after, message.itemsMax) } });
          out.push(...answered);
          next.push(...answered);
        }
        queue = next;
      }
      return out;
    }

    const keysOf = (partition: number) => Array.from({ length: 5 }, (_, i) => `p${String(partition).padStart(2, '0')}-${i}`);

    test('a page of keys reads every partition from one replica (its own disk first) and answers them in order', () => {
      const kv = node();
      const effects = kv.step(1, { type: 'request', requestId: 1, request: { kind: 'listKeys', bucket: 'b', after: null, limit: 12 } });
      assert.equal(only(effects, 'listScan').length, 8, 'n1 replicates every partition of this ring: all read locally');
      assert.equal(only(effects, 'send').length, 0);
      const [reply] = only(answerScans(kv, 2, effects, keysOf), 'reply');
      const all = Array.from({ length: 8 }, (_, p) => keysOf(p)).flat().sort();
      assert.deepEqual(reply?.result, { kind: 'keys', keys: all.slice(0, 12), next: all[11] });
      const rest = kv.step(3, { type: 'request', requestId: 2, request: { kind: 'listKeys', bucket: 'b', after: all[11]!, limit: 1_000 } });
      const [last] = only(answerScans(kv, 4, rest, keysOf), 'reply');
      assert.deepEqual(last?.result, { kind: 'keys', keys: all.slice(12), next: null });
    });

    test('a node asked to list a partition it does not replicate in its view refuses, rather than answer it empty', () => {
      // A coordinator of an older view may ask a node the partition moved away from, which may
      // have handed off and dropped its keys: an empty answer would drop them from the listing.
      const five = createRing(['n1', 'n2', 'n3', 'n4', 'n5'].map((name, i) => ({ name, address: `127.0.0.1:${7000 + i}`, httpUrl: `http://127.0.0.1:${8000 + i}`, capacity: 1 })), 8, 3);
      const kv = new KvNode({ name: 'n1', actor: 'n1.a', ring: five, bucketProps: () => defaultBucketProps, requestTimeoutMs: 1_000, requestLimits: defaultRequestLimits, firstOpId: 1 });
      const partitionsOf = (mine: boolean) => Array.from({ length: 8 }, (_, p) => p).filter((p) => preferenceList(five, p, 3).includes('n1') === mine);
      const read = (partition: number) => ({ kind: 'listRead' as const, opId: 5, partition, bucket: 'b', after: null, itemsMax: 16, bytesMax: 1 << 16, withDeleted: false });
      const [theirs] = partitionsOf(false);
      const refused = kv.step(1, { type: 'message', from: 'n2', message: read(theirs!) });
      assert.equal(only(refused, 'listScan').length, 0);
      const [reply] = only(refused, 'send').filter((send) => send.message.kind === 'listReadReply');
      assert.ok(reply?.to === 'n2' && reply.message.kind === 'listReadReply' && reply.message.error?.code === 'unavailable', JSON.stringify(reply));
      const [mine] = partitionsOf(true);
      assert.equal(only(kv.step(2, { type: 'message', from: 'n2', message: read(mine!) }), 'listScan').length, 1);
    });

    test('a partition whose local read fails is read from another replica', () => {
      const kv = node();
      const effects = kv.step(1, { type: 'request', requestId: 1, request: { kind: 'listKeys', bucket: 'b', after: null, limit: 100 } });
      const out = answerScans(kv, 2, effects, keysOf, new Set([3]));
      const [read] = only(out, 'send');
      assert.ok(read?.message.kind === 'listRead' && read.message.partition === 3 && read.to !== 'n1', 'asks a peer for partition 3');
      assert.equal(only(out, 'reply').length, 0, 'partition 3 is still missing');
      const answered = kv.step(3, { type: 'message', from: read.to, message: { kind: 'listReadReply', opId: read.message.opId, items: keysOf(3), next: null } });
      const [reply] = only(answered, 'reply');
      assert.ok(reply?.result.kind === 'keys');
      assert.equal(reply.result.keys.length, 40);
    });

    test('bucket names: every partition, once each, with the buckets that have properties of their own', () => {
      const kv = node();
      kv.command(1, (membership) => membership.setBucketProps('configured', { ...defaultBucketProps, r: 1 }));
      const effects = kv.step(2, { type: 'request', requestId: 1, request: { kind: 'listBuckets' } });
      const [reply] = only(answerScans(kv, 3, effects, (partition) => (partition % 2 === 0 ? ['b', 'zz'] : ['b']), new Set(), true), 'reply');
      assert.deepEqual(reply?.result, { kind: 'buckets', buckets: ['b', 'configured', 'zz'], truncated: false });
    });

    test('a bucket set in the view is what requests use: here N = 1 asks no other replica', () => {
      const kv = node();
      const key = Array.from({ length: 100 }, (_, i) => `k${i}`).find((k) => preferenceList(ring, partitionOf('solo', k, 8), 1)[0] === 'n1')!;
      const before = kv.step(1, { type: 'request', requestId: 1, request: { kind: 'get', bucket: 'solo', key, r: 3 } });
      assert.equal(only(before, 'send').length, 2);
      const { effects } = kv.command(2, (membership) => membership.setBucketProps('solo', { ...defaultBucketProps, n: 1, r: 1, w: 1 }));
      assert.equal(only(effects, 'send').filter((send) => send.message.kind === 'gossip').length, 2, 'every member is told at once');
      assert.deepEqual(kv.bucketProps('solo'), { ...defaultBucketProps, n: 1, r: 1, w: 1 });
      const after = kv.step(3, { type: 'request', requestId: 2, request: { kind: 'get', bucket: 'solo', key } });
      assert.equal(only(after, 'send').length, 0);
      assert.equal(only(after, 'store').length, 1);
    });

    test('a listing over its limits is refused with a code', () => {
      const kv = node();
      const [reply] = only(kv.step(1, { type: 'request', requestId: 1, request: { kind: 'listKeys', bucket: 'b', after: null, limit: 10_001 } }), 'reply');
      assert.ok(reply?.result.kind === 'error' && reply.result.code === 'bad_query');
      for (let i = 0; i < 8; i++) kv.step(2, { type: 'request', requestId: 10 + i, request: { kind: 'listBuckets' } });
      const [busy] = only(kv.step(3, { type: 'request', requestId: 99, request: { kind: 'listBuckets' } }), 'reply');
      assert.ok(busy?.result.kind === 'error' && busy.result.code === 'overloaded');
    });
  });

  describe('repair paths switched off, to prove the others alone (docs/simulation.md)', () => {
    const wide = createRing(['n1', 'n2', 'n3', 'n4', 'n5'].map((name, i) => ({ name, address: `127.0.0.1:${7000 + i}`, httpUrl: `http://127.0.0.1:${8000 + i}`, capacity: 1 })), 8, 3);
    const key = Array.from({ length: 1000 }, (_, i) => `k${i}`).find((k) => preferenceList(wide, partitionOf('b', k, 8), 3)[0] === 'n1')!;
    const [, primaryB, primaryC] = preferenceList(wide, partitionOf('b', key, 8), 3) as [string, string, string];
    const switched = (name: string, config: { readRepair?: boolean; hintedHandoff?: boolean }): KvNode =>
      new KvNode({ name, actor: `${name}.a`, ring: wide, bucketProps: () => defaultBucketProps, requestTimeoutMs: 1_000, requestLimits: defaultRequestLimits, firstOpId: 1, ...config });
    const put = { kind: 'put' as const, bucket: 'b', key, value: new Uint8Array([1]), contentType: 'x', deleted: false, context: null };
    const written = applyStoreOp(null, { kind: 'coordinate', intent: { ...put }, actor: 'n9.z', nowMs: 1, resolution: 'siblings' }).outcome;

    test('readRepair: false — a get that finds a stale primary answers but writes nothing back', () => {
      for (const readRepair of [true, false]) {
        const kv = switched('n1', { readRepair });
        const effects = kv.step(1, { type: 'request', requestId: 1, request: { kind: 'get', bucket: 'b', key, r: 3 } });
        const [store] = only(effects, 'store');
        const reads = only(effects, 'send');
        kv.step(2, { type: 'stored', storeId: store!.storeId, outcome: { ok: true, object: null, previous: null } });
        const newer = written.ok ? written.object : null;
        kv.step(3, { type: 'message', from: reads[0]!.to, message: { kind: 'replicaReadReply', opId: reads[0]!.message.opId, object: newer, stamp: 0 } });
        const last = kv.step(4, { type: 'message', from: reads[1]!.to, message: { kind: 'replicaReadReply', opId: reads[1]!.message.opId, object: null, stamp: 0 } });
        assert.equal(only(last, 'reply')[0]?.result.kind, 'got');
        const repairs = only(last, 'store').length + only(last, 'send').filter((send) => send.message.kind === 'replicaWrite').length;
        assert.equal(repairs, readRepair ? 2 : 0, `read repair ${readRepair ? 'on: itself and the empty primary' : 'off: nothing'}`);
      }
    });

    test('hintedHandoff: false — a put goes to the reachable primaries only, and nobody stands in for a failed one', () => {
      const kv = switched('n1', { hintedHandoff: false });
      kv.step(1, { type: 'deliveryFailed', to: primaryC, message: { kind: 'ping', opId: 1 } }); // C is down
      const [store] = only(kv.step(2, { type: 'request', requestId: 1, request: { ...put, w: 3 } }), 'store');
      const sent = only(stepFlushed(kv, 3, { type: 'stored', storeId: store!.storeId, outcome: applyStoreOp(null, store!.op).outcome }), 'send');
      assert.deepEqual(sent.map((send) => [send.to, send.message.kind === 'replicaWrite' && send.message.hintFor]), [[primaryB, undefined]], 'B only; no fallback keeps a hint for C');
      const failed = kv.step(4, { type: 'deliveryFailed', to: primaryB, message: sent[0]!.message });
      assert.deepEqual(only(failed, 'send'), [], 'no stand-in for B either');
      const [reply] = only(failed, 'reply');
      assert.ok(reply?.result.kind === 'error' && reply.result.code === 'quorum_not_met', 'W = 3 of the primaries is not met');
    });

    test('hintedHandoff: false — a node outside the primaries that reaches none of them refuses the put instead of coordinating it', () => {
      const outsider = ['n2', 'n3', 'n4', 'n5'].find((name) => !preferenceList(wide, partitionOf('b', key, 8), 3).includes(name))!;
      const kv = switched(outsider, { hintedHandoff: false });
      for (const primary of preferenceList(wide, partitionOf('b', key, 8), 3)) kv.step(1, { type: 'deliveryFailed', to: primary, message: { kind: 'ping', opId: 1 } });
      const effects = kv.step(2, { type: 'request', requestId: 1, request: put });
      assert.equal(only(effects, 'store').length, 0);
      const [reply] = only(effects, 'reply');
      assert.ok(reply?.result.kind === 'error' && reply.result.code === 'unavailable');
      const sloppy = switched(outsider, {});
      for (const primary of preferenceList(wide, partitionOf('b', key, 8), 3)) sloppy.step(1, { type: 'deliveryFailed', to: primary, message: { kind: 'ping', opId: 1 } });
      assert.equal(only(sloppy.step(2, { type: 'request', requestId: 1, request: put }), 'store').length, 1, 'with sloppy quorum it coordinates as a fallback');
    });

    test('hintedHandoff: false — a put forwarded to a node outside the primaries (the forwarder\'s ring still named it) is coordinated for the reachable primaries, not refused', () => {
      // Seed 14 of `--converge-by readRepair`: the forwarder had not yet heard of a join that moved
      // the key, and the put failed while both primaries of its N = 2 bucket were reachable.
      const primaries = preferenceList(wide, partitionOf('b', key, 8), 3);
      const outsider = ['n2', 'n3', 'n4', 'n5'].find((name) => !primaries.includes(name))!;
      const kv = switched(outsider, { hintedHandoff: false });
      kv.step(1, { type: 'deliveryFailed', to: primaryC, message: { kind: 'ping', opId: 1 } }); // C is down
      const [store] = only(kv.step(2, { type: 'message', from: 'n9', message: { kind: 'forward', opId: 7, request: { ...put, w: 2 } } }), 'store');
      assert.equal(store?.op.kind, 'coordinate', 'it makes the version');
      const sent = only(stepFlushed(kv, 3, { type: 'stored', storeId: store!.storeId, outcome: applyStoreOp(null, store!.op).outcome }), 'send');
      const writes = sent.filter((send) => send.message.kind === 'replicaWrite');
      assert.deepEqual(writes.map((send) => [send.to, send.message.kind === 'replicaWrite' && send.message.hintFor]), primaries.filter((node) => node !== primaryC).map((node) => [node, undefined]), 'the reachable primaries, no hint for C');
      const acked = kv.step(4, { type: 'message', from: writes[0]!.to, message: { kind: 'replicaWriteReply', opId: writes[0]!.message.opId } });
      const [reply] = only(acked, 'send').filter((send) => send.message.kind === 'forwardReply');
      assert.ok(reply?.message.kind === 'forwardReply' && reply.message.result.kind === 'stored', 'W = 2: a primary and its own copy');
    });
  });
});
