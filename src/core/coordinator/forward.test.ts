import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ClientResult, PeerMessage } from '../messages.ts';
import { ForwardOperation } from './forward.ts';
import type { OperationHost } from './operation.ts';

/** A host that records what the operation sends and answers; nothing else is used by a forward. */
function host(reachable: (node: string) => boolean): OperationHost & { sent: [string, PeerMessage][]; answers: ClientResult[] } {
  const sent: [string, PeerMessage][] = [];
  const answers: ClientResult[] = [];
  const unused = (): never => assert.fail('a forward only sends and answers');
  return {
    self: 'x',
    nowMs: 0,
    sent,
    answers,
    send: (to, message) => sent.push([to, message]),
    answer: (_requester, result) => answers.push(result),
    count: () => {},
    isReachable: reachable,
    store: unused,
    storeHint: unused,
    flush: unused,
    readWithHints: unused,
    writer: { actor: 'x.a' },
    epochOf: () => 0,
    refuses: () => false,
    wasCollected: () => false,
    afterEpoch: unused,
  };
}

const request = { kind: 'put' as const, bucket: 'b', key: 'k', value: new Uint8Array([1]), contentType: 'x', deleted: false, context: null };

describe('forwarding a put to a replica (Dynamo §6.4)', () => {
  test('a failed candidate is followed by the next primary of the ring as it is then, not as it was at the request', () => {
    let primaries = ['a', 'b', 'c'];
    const h = host(() => true);
    const forward = new ForwardOperation({ opId: 1, deadlineMs: 100, requester: { type: 'client', requestId: 1 }, request, primaries: () => primaries, forwardedTimeoutMs: 90 });
    forward.start(h);
    assert.deepEqual(h.sent.map(([to]) => to), ['a']);
    // A leave moved the key while the forward was in flight: b is no replica any more.
    primaries = ['a', 'd', 'c'];
    forward.onDeliveryFailed(h, 'a');
    assert.deepEqual(h.sent.map(([to]) => to), ['a', 'd']);
    forward.onPeerMessage(h, 'b', { kind: 'forwardReply', opId: 1, result: { kind: 'stored', context: { clock: [], dots: [] } } });
    assert.equal(h.answers.length, 0, 'only the node asked answers');
    forward.onPeerMessage(h, 'd', { kind: 'forwardReply', opId: 1, result: { kind: 'stored', context: { clock: [], dots: [] } } });
    assert.equal(h.answers[0]?.kind, 'stored');
  });

  test('each primary is tried once, unreachable ones skipped; with none left the client is told unavailable', () => {
    const h = host((node) => node !== 'b');
    const forward = new ForwardOperation({ opId: 1, deadlineMs: 100, requester: { type: 'client', requestId: 1 }, request, primaries: () => ['a', 'b', 'c'], forwardedTimeoutMs: 90 });
    forward.start(h);
    forward.onDeliveryFailed(h, 'a');
    forward.onDeliveryFailed(h, 'c');
    assert.deepEqual(h.sent.map(([to]) => to), ['a', 'c']);
    assert.equal(h.answers[0]?.kind === 'error' && h.answers[0].code, 'unavailable');
    assert.ok(forward.done);
  });
});
