import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TombFence, TombFenceReply, TombConfirmReply } from '../messages.ts';
import { addDot, emptyContext } from '../version/causal-context.ts';
import type { StoredObject } from '../version/types.ts';
import { TombstoneParticipant } from './participant.ts';
import { roundViewId, servesNewerView } from './round-view.ts';
import { TestTombstoneHost, testView } from './test-host.ts';

const view = testView(['n1', 'n2', 'n3']);
const partition = 2;
const target = { partition, bucket: 'b', key: 'k' };

const oldValue: StoredObject = {
  siblings: [{ dot: ['n1.a', 1], value: new Uint8Array([1]), contentType: 'x', lastModifiedMs: 1, deleted: false }],
  context: addDot(emptyContext, ['n1.a', 1], 1),
};
const tombstone: StoredObject = {
  siblings: [{ dot: ['n1.a', 2], value: new Uint8Array(), contentType: 'x', lastModifiedMs: 2, deleted: true }],
  context: addDot(addDot(emptyContext, ['n1.a', 1], 1), ['n1.a', 2], 2),
};

function fence(epoch = 1): TombFence {
  return { kind: 'tombFence', opId: 9, partition, epoch, confirmed: 0, view: roundViewId(view), candidates: [{ bucket: 'b', key: 'k', object: tombstone }] };
}

function fenced(host: TestTombstoneHost, message = fence()): { replies: TombFenceReply[] } {
  const replies: TombFenceReply[] = [];
  new TombstoneParticipant(host).onFence(message, (reply) => replies.push(reply));
  return { replies };
}

describe('TombstoneParticipant', () => {
  test('reads the candidates, then raises the epoch durably, then checks again: a replica holding the tombstone says so', () => {
    const host = new TestTombstoneHost('n2', view);
    host.store(target, tombstone);
    const { replies } = fenced(host);
    assert.equal(host.epochs.of(partition), 0, 'not raised before the first reads came back');
    host.runIssued();
    assert.equal(host.epochs.of(partition), 1, 'raised once the candidates were read');
    assert.equal(replies.length, 0, 'no answer before the epoch is on disk');
    host.runPending();
    assert.equal(host.epochWrites, 1);
    assert.deepEqual(replies, [{ kind: 'tombFenceReply', opId: 9, incarnation: 'n2.disk1', holdings: ['tombstone'], epoch: 1 }]);
  });

  test('an old version that arrives between the two reads makes the candidate "other"', () => {
    const host = new TestTombstoneHost('n2', view);
    const { replies } = fenced(host);
    host.runIssued(); // first read: nothing here
    host.store(target, oldValue); // a late old version lands before the epoch is raised
    host.runPending();
    assert.deepEqual(replies[0]?.holdings, ['other']);
  });

  test('a node holding nothing says absent; a hint of the key makes it "other"', () => {
    const empty = new TestTombstoneHost('n4', view);
    const { replies } = fenced(empty);
    empty.runPending();
    assert.deepEqual(replies[0]?.holdings, ['absent']);
    const hinted = new TestTombstoneHost('n4', view);
    hinted.hints.add('2/b/k');
    const second = fenced(hinted);
    hinted.runPending();
    assert.deepEqual(second.replies[0]?.holdings, ['other']);
  });

  test('refuses a fence for a view older than its own (or another of the same version), at or below its epoch, or while it does not know the epochs', () => {
    const other = new TestTombstoneHost('n2', testView(['n1', 'n2', 'n3', 'n4']));
    assert.match(fenced(other).replies[0]?.refused ?? '', /serves view/);
    const ahead = new TestTombstoneHost('n2', view, { known: true, member: true, fresh: false, epochs: [[partition, 3, 0]] });
    const refused = fenced(ahead, fence(3)).replies[0];
    assert.match(refused?.refused ?? '', /epoch 3 already/);
    assert.equal(refused?.epoch, 3, 'tells the collector how far to go');
    const fresh = new TestTombstoneHost('n2', view, null);
    assert.match(fenced(fresh).replies[0]?.refused ?? '', /does not know/);
    assert.equal(fresh.epochs.of(partition), 0);
  });

  test('a node whose view is older answers for its own copies (a node that left stops hearing gossip)', () => {
    const later = { ...testView(['n1', 'n2', 'n3']), version: view.version + 1 };
    const stale = new TestTombstoneHost('n2', view);
    stale.store(target, tombstone);
    const { replies } = fenced(stale, { ...fence(), view: roundViewId(later) });
    stale.runPending();
    assert.deepEqual(replies[0]?.holdings, ['tombstone']);
    assert.equal(servesNewerView(later, roundViewId(view)), true, 'the other way round it refuses');
  });

  test('a node that missed a round that may have removed (it was down) refuses every later fence', () => {
    const behind = new TestTombstoneHost('n4', view, { known: true, member: true, fresh: false, epochs: [[partition, 2, 2]] });
    const refused = fenced(behind, { ...fence(6), confirmed: 4 }).replies[0];
    assert.match(refused?.refused ?? '', /missed round 4/);
    assert.equal(refused?.unfit, true, 'so that the collector leaves it out instead of failing every round');
    assert.equal(behind.epochs.of(partition), 2, 'its copies stay stamped below the round it missed');
  });

  test('confirms only while it holds the epoch; removes only under that fence', () => {
    const host = new TestTombstoneHost('n2', view, { known: true, member: true, fresh: false, epochs: [[partition, 1, 0]] });
    const participant = new TombstoneParticipant(host);
    const confirms: TombConfirmReply[] = [];
    participant.onConfirm({ kind: 'tombConfirm', opId: 1, partition, epoch: 1, view: roundViewId(view) }, (reply) => confirms.push(reply));
    participant.onConfirm({ kind: 'tombConfirm', opId: 2, partition, epoch: 2, view: roundViewId(view) }, (reply) => confirms.push(reply));
    assert.deepEqual(confirms.map((reply) => reply.confirmed), [false], 'refused at once');
    host.runPending();
    assert.deepEqual(confirms.map((reply) => reply.confirmed), [false, true], 'confirmed once the confirmed epoch is on disk');
    assert.equal(host.epochs.confirmedOf(partition), 1);
    participant.onRemove({ kind: 'tombRemove', opId: 3, partition, epoch: 2, entries: [{ bucket: 'b', key: 'k', object: tombstone }] });
    assert.equal(host.dropped.length, 0, 'a remove for an epoch this disk never raised is ignored');
    participant.onRemove({ kind: 'tombRemove', opId: 4, partition, epoch: 1, entries: [{ bucket: 'b', key: 'k', object: tombstone }] });
    assert.deepEqual(host.dropped, [{ target, object: tombstone }]);
  });
});
