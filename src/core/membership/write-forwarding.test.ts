/**
 * Membership.onLocalWrite: a write this node stored is passed on where the ring is moving — to a
 * transfer's receiver while this node sends the partition, to the partition's replicas when this
 * node no longer replicates it — and, in the steady state, to nobody.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { PeerMessage } from '../messages.ts';
import { coordinateWrite } from '../version/object.ts';
import { gossipOnlyHost } from './gossip-only-host.ts';
import { configView } from './initial-view.ts';
import { Membership } from './membership.ts';
import type { ClusterView } from './view.ts';

const nodes = ['n1', 'n2', 'n3', 'n4'].map((name, i) => ({ name, address: `127.0.0.1:${7001 + i}`, httpUrl: `http://127.0.0.1:${8001 + i}`, capacity: 1 }));
const steady = configView(nodes, 16, 3);
const object = coordinateWrite(null, { value: new Uint8Array([1]), contentType: 'x/y', deleted: false, context: null }, 'n1.abc', 1, 'siblings').object;

/** Whom n1 passes a write of partition 5 on to, with the given replicas of it and view. */
function passedOnTo(replicas: readonly string[], view: ClusterView = steady): string[] {
  const sent: { to: string; message: PeerMessage }[] = [];
  const host = { ...gossipOnlyHost({ self: 'n1', nowMs: () => 0, send: (to, message) => sent.push({ to, message }) }), replicasOf: () => replicas };
  const membership = new Membership({ self: nodes[0]!, seeds: new Map(), replicasN: 3, gossipSeed: 1, initialView: view, initialViewCurrent: true }, host, () => {});
  membership.onLocalWrite(5, 'b', 'k', object, 0);
  for (const { message } of sent) {
    assert.equal(message.kind, 'transferChunk');
    if (message.kind === 'transferChunk') assert.deepEqual(message.entries, [{ bucket: 'b', key: 'k', object }]);
  }
  return sent.map(({ to }) => to).sort();
}

describe('a stored write is passed on where the ring moves', () => {
  test('nothing moving and a partition this node replicates: to nobody', () => {
    assert.deepEqual(passedOnTo(['n1', 'n2', 'n3']), []);
  });

  test('a partition this node no longer replicates: to its replicas', () => {
    assert.deepEqual(passedOnTo(['n2', 'n3', 'n4']), ['n2', 'n3', 'n4']);
  });

  test('a partition this node sends in a transfer: to the receiver, though this node still replicates it', () => {
    const moving: ClusterView = { ...steady, next: steady.owners, transfers: [{ partition: 5, from: 'n1', to: 'n4' }] };
    assert.deepEqual(passedOnTo(['n1', 'n2', 'n3'], moving), ['n4']);
    assert.deepEqual(passedOnTo(['n1', 'n2', 'n3'], { ...moving, transfers: [{ partition: 6, from: 'n1', to: 'n4' }] }), [], 'another partition’s transfer');
  });
});
