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
  const membership = new Membership({ self: nodes[0]!, seeds: new Map(), replicasN: 3, gossipSeed: 7, initialView: view }, host, () => {});
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
