import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { PeerMessage } from '../messages.ts';
import { gossipOnlyHost } from './gossip-only-host.ts';
import { configView } from './initial-view.ts';
import { gossipIntervalMs, Membership } from './membership.ts';

const nodes = ['n1', 'n2', 'n3', 'n4', 'n5'].map((name, i) => ({ name, address: `127.0.0.1:${7001 + i}`, httpUrl: `http://127.0.0.1:${8001 + i}`, capacity: 1 }));
const view = configView(nodes, 16, 3);

/** n1's membership with a failure detector that sees `down` as unreachable; returns whom it gossiped to. */
function gossipTargetsOver(rounds: number, down: ReadonlySet<string>): string[] {
  let nowMs = 0;
  const sentTo: string[] = [];
  const host = gossipOnlyHost({
    self: 'n1',
    nowMs: () => nowMs,
    send: (to: string, message: PeerMessage) => {
      if (message.kind === 'gossip') sentTo.push(to);
    },
    isReachable: (node) => !down.has(node),
  });
  // The view is taken as current: a node just started would first ask several members (viewConfirmed).
  const membership = new Membership({ self: nodes[0]!, seeds: new Map(), replicasN: 3, gossipSeed: 7, initialView: view, initialViewCurrent: true }, host, () => {});
  for (let round = 0; round < rounds; round++, nowMs += gossipIntervalMs) membership.onTick();
  return sentTo;
}

describe('gossip and the failure detector', () => {
  test('a round goes to a peer the detector sees as reachable, never to one it sees as down', () => {
    const sentTo = gossipTargetsOver(200, new Set(['n2', 'n4']));
    assert.equal(sentTo.length, 200);
    assert.deepEqual([...new Set(sentTo)].sort(), ['n3', 'n5']);
  });

  test('with every peer seen as down, rounds still go to all of them (a recovery is heard from any message)', () => {
    const sentTo = gossipTargetsOver(200, new Set(['n2', 'n3', 'n4', 'n5']));
    assert.deepEqual([...new Set(sentTo)].sort(), ['n2', 'n3', 'n4', 'n5']);
  });
});

describe('a node that has just started (viewConfirmed)', () => {
  const membershipOf = (self: number, sent: { from: string; to: string; message: PeerMessage }[]) => {
    const name = nodes[self]!.name;
    const host = gossipOnlyHost({ self: name, nowMs: () => 0, send: (to, message) => sent.push({ from: name, to, message }) });
    return new Membership({ self: nodes[self]!, seeds: new Map(), replicasN: 3, gossipSeed: self, initialView: view }, host, () => {});
  };

  test('asks several members for their view, and trusts its own only once one has answered — even with the same view', () => {
    const sent: { from: string; to: string; message: PeerMessage }[] = [];
    const started = membershipOf(0, sent);
    const peer = membershipOf(1, []);
    const peerSent: { from: string; to: string; message: PeerMessage }[] = [];
    assert.equal(started.viewConfirmed, false);
    started.onTick();
    const asks = sent.filter((s) => s.message.kind === 'gossip' && s.message.replyWanted === true);
    assert.equal(asks.length, 3, 'a few members at once');
    const toPeer = asks.find((s) => s.to === 'n2') ?? asks[0]!;
    const answering = membershipOf(Number(toPeer.to.slice(1)) - 1, peerSent);
    answering.onMessage('n1', toPeer.message);
    const reply = peerSent.find((s) => s.to === 'n1' && s.message.kind === 'gossip');
    assert.ok(reply, 'a member answers although its view is the same');
    started.onMessage(toPeer.to, reply.message);
    assert.equal(started.viewConfirmed, true);
    assert.equal(peer.viewConfirmed, false, 'every node asks for itself');
  });

  test('a node alone in its view has nobody to ask', () => {
    const alone = configView([nodes[0]!], 16, 1);
    const host = gossipOnlyHost({ self: 'n1', nowMs: () => 0, send: () => {} });
    assert.equal(new Membership({ self: nodes[0]!, seeds: new Map(), replicasN: 1, gossipSeed: 1, initialView: alone }, host, () => {}).viewConfirmed, true);
  });
});
