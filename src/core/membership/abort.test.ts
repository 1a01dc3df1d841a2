import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Gossip, PeerMessage } from '../messages.ts';
import { gossipOnlyHost } from './gossip-only-host.ts';
import { configView } from './initial-view.ts';
import { Membership } from './membership.ts';
import type { ClusterView } from './view.ts';

const node = (name: string, i: number) => ({ name, address: `127.0.0.1:${7000 + i}`, httpUrl: `http://127.0.0.1:${8000 + i}`, capacity: 1 });
const members = ['n1', 'n2', 'n3', 'n4'].map(node);

/** Several memberships wired by a message list the test delivers by hand. */
function cluster(down: ReadonlySet<string> = new Set()): { of: (name: string) => Membership; deliverAll: () => void } {
  const queue: { from: string; to: string; message: PeerMessage }[] = [];
  const all = new Map<string, Membership>();
  for (const member of members) {
    const host = gossipOnlyHost({
      self: member.name,
      nowMs: () => 0,
      send: (to, message) => {
        if (message.kind === 'gossip') queue.push({ from: member.name, to, message });
      },
      isReachable: (name) => !down.has(name),
    });
    all.set(member.name, new Membership({ self: member, seeds: new Map(), replicasN: 3, gossipSeed: 1, initialView: configView(members, 16, 3) }, host, () => {}));
  }
  return {
    of: (name) => all.get(name)!,
    deliverAll: () => {
      while (queue.length > 0) {
        const { from, to, message } = queue.shift()!;
        if (!down.has(to)) all.get(to)?.onMessage(from, message as Gossip);
      }
    },
  };
}

function joinN5AndAbort(c: ReturnType<typeof cluster>): ClusterView {
  const n1 = c.of('n1');
  n1.stage({ action: 'join', node: node('n5', 5) });
  const committed = n1.commit();
  assert.ok(committed.next !== null, 'the join is a transition');
  return n1.abort();
}

describe('abort, then the next change', () => {
  test('a commit waits until every reachable member holds the abort, then goes through', () => {
    const c = cluster();
    const aborted = joinN5AndAbort(c);
    const n1 = c.of('n1');
    n1.stage({ action: 'leave', name: 'n4' });
    assert.throws(() => n1.commit(), /has not reached n2, n3, n4/);
    c.deliverAll(); // the abort's broadcast, and each member telling n1 it holds it
    for (const name of ['n2', 'n3', 'n4']) assert.equal(c.of(name).view.version, aborted.version);
    const next = n1.commit();
    assert.equal(next.version, aborted.version + 1);
    assert.equal(next.aborted, undefined);
  });

  test('a member the detector sees as down is not waited for (a dead one can still be removed)', () => {
    const c = cluster(new Set(['n4']));
    joinN5AndAbort(c);
    c.deliverAll();
    const n1 = c.of('n1');
    n1.stage({ action: 'remove', name: 'n4' });
    assert.ok(n1.commit().next !== null);
  });
});
