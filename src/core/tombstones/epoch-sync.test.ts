import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { seedOnlyView } from '../membership/initial-view.ts';
import type { EpochsQuery } from '../messages.ts';
import { EpochSync } from './epoch-sync.ts';
import { decodeEpochsRecord, encodeEpochsRecord, PartitionEpochs } from './epochs.ts';
import { defaultTombstoneSettings } from './settings.ts';
import { TestTombstoneHost, testPartitionCount, testView } from './test-host.ts';

const view = testView(['n1', 'n2', 'n3']);

function queriesOf(host: TestTombstoneHost): { to: string; message: EpochsQuery }[] {
  return host.takeSent().filter((sent): sent is { to: string; message: EpochsQuery } => sent.message.kind === 'epochsQuery');
}

describe('PartitionEpochs', () => {
  test('refuses objects stamped below the epoch, and everything while it does not know the epochs', () => {
    const epochs = new PartitionEpochs({ known: true, member: true, fresh: false, epochs: [[3, 2, 0]] });
    assert.equal(epochs.refuses(3, 1), true);
    assert.equal(epochs.refuses(3, 2), false);
    assert.equal(epochs.refuses(4, 0), false);
    assert.equal(epochs.raise(3, 1), false, 'never lowered');
    const fresh = new PartitionEpochs(null);
    assert.equal(fresh.refuses(4, 9), true);
    fresh.learn([[4, 5, 0]]);
    assert.equal(fresh.refuses(4, 4), true);
    assert.equal(fresh.refuses(4, 5), false);
  });

  test('catches up to a peer\'s fence and confirmed epoch (only active members ask it: epoch-sync.ts)', () => {
    const behind = new PartitionEpochs({ known: true, member: true, fresh: false, epochs: [[3, 2, 2]] });
    assert.equal(behind.catchUp([3, 6, 4]), true);
    assert.deepEqual(behind.entryOf(3), [3, 6, 4]);
    assert.equal(new PartitionEpochs(null).catchUp([3, 6, 0]), false, 'a node that does not know the epochs learns them first');
  });

  test('round-trips through its disk record; a record it cannot read counts as a new disk', () => {
    const epochs = new PartitionEpochs({ known: true, member: true, fresh: false, epochs: [] });
    epochs.raise(5, 3);
    epochs.raise(1, 2);
    assert.deepEqual(decodeEpochsRecord(encodeEpochsRecord(epochs.record())), { known: true, member: true, fresh: false, epochs: [[1, 2, 0], [5, 3, 0]] });
    assert.equal(decodeEpochsRecord(new TextEncoder().encode('{"known":true,"epochs":[[1,2]]}')), null);
    assert.equal(decodeEpochsRecord(undefined), null);
  });
});

describe('EpochSync', () => {
  test('a new disk asks every member and takes the first answer from one that knows', () => {
    const host = new TestTombstoneHost('n1', view, null);
    const sync = new EpochSync(defaultTombstoneSettings, host);
    sync.onTick();
    host.runPending();
    const writesBefore = host.epochWrites;
    const queries = queriesOf(host);
    assert.deepEqual(queries.map((sent) => sent.to).sort(), ['n2', 'n3']);
    sync.onReply('n2', { kind: 'epochsReply', opId: 1, known: false, complete: true, toMember: true, epochs: [] });
    assert.equal(host.epochs.known, false, 'one member as new as this one proves nothing');
    sync.onReply('n3', { kind: 'epochsReply', opId: 2, known: true, complete: true, toMember: true, epochs: [[2, 4, 0]] });
    assert.equal(host.epochs.known, true);
    assert.equal(host.epochs.of(2), 4);
    host.runPending();
    assert.equal(host.epochWrites, writesBefore + 1, 'what it learned is written to disk');
  });

  test('a refusal naming one partition does not teach a node that does not know the epochs', () => {
    const host = new TestTombstoneHost('n1', view, null);
    const sync = new EpochSync(defaultTombstoneSettings, host);
    sync.onReply('n2', { kind: 'epochsReply', opId: 1, known: true, complete: false, toMember: true, epochs: [[15, 1, 0]] });
    assert.equal(host.epochs.known, false, 'the other partitions would stay at 0 (sim seed 60 of --faults wipe)');
  });

  test('when every other member is as new, the cluster is new', () => {
    const host = new TestTombstoneHost('n1', view, null);
    const sync = new EpochSync(defaultTombstoneSettings, host);
    sync.onTick();
    sync.onReply('n2', { kind: 'epochsReply', opId: 1, known: false, complete: true, toMember: true, epochs: [] });
    sync.onReply('n3', { kind: 'epochsReply', opId: 2, known: false, complete: true, toMember: true, epochs: [] });
    assert.equal(host.epochs.known, true);
  });

  test('a node that is not a member does not decide; once it becomes one it learns again', () => {
    const self = view.members.find((member) => member.name === 'n4') ?? { name: 'n4', address: 'h:4', httpUrl: 'http://h:4', capacity: 1 };
    const host = new TestTombstoneHost('n4', seedOnlyView(self, testPartitionCount), { known: true, member: true, fresh: false, epochs: [[1, 1, 0]] });
    const sync = new EpochSync(defaultTombstoneSettings, host);
    sync.onTick();
    assert.equal(queriesOf(host).length, 0);
    host.view = testView(['n1', 'n2', 'n3', 'n4']);
    sync.onTick();
    assert.equal(host.epochs.known, false, 'rounds may have run while it was not a member');
    assert.equal(queriesOf(host).length, 3);
  });

  test('a member catches up from a peer that refused it; a removed node does not', () => {
    const member = new TestTombstoneHost('n1', view, { known: true, member: true, fresh: false, epochs: [[2, 3, 3]] });
    new EpochSync(defaultTombstoneSettings, member).onReply('n2', { kind: 'epochsReply', opId: 1, known: true, complete: true, toMember: true, epochs: [[2, 5, 3]] });
    assert.equal(member.epochs.of(2), 5);
    const removedView = { ...view, members: view.members.map((m) => (m.name === 'n3' ? { ...m, status: 'removed' as const } : m)) };
    const removed = new TestTombstoneHost('n3', removedView, { known: true, member: true, fresh: false, epochs: [[2, 3, 3]] });
    new EpochSync(defaultTombstoneSettings, removed).onReply('n2', { kind: 'epochsReply', opId: 1, known: true, complete: true, toMember: true, epochs: [[2, 5, 3]] });
    assert.equal(removed.epochs.of(2), 3, 'it may have been left out of a round that removed keys it still holds');
    const unaware = new TestTombstoneHost('n3', view, { known: true, member: true, fresh: false, epochs: [[2, 3, 3]] });
    new EpochSync(defaultTombstoneSettings, unaware).onReply('n2', { kind: 'epochsReply', opId: 1, known: true, complete: false, toMember: false, epochs: [[2, 5, 4]] });
    assert.equal(unaware.epochs.of(2), 3, 'nor does one whose view is older than the answerer\'s, which no longer lists it');
    assert.equal(unaware.epochs.isAbandoned(2), false, 'it waits for gossip: its hints and copies may count toward W');
    new EpochSync(defaultTombstoneSettings, removed).onReply('n2', { kind: 'epochsReply', opId: 2, known: true, complete: false, toMember: false, epochs: [[2, 5, 4]] });
    assert.equal(removed.epochs.isAbandoned(2), true, 'a node outside the ring behind a round gives up its leftovers there');
  });

  test('a disk that was away while a round removed keys does not learn the epochs: it must be wiped to join', () => {
    const host = new TestTombstoneHost('n1', view, { known: false, member: true, fresh: false, epochs: [[2, 1, 1]] });
    const sync = new EpochSync(defaultTombstoneSettings, host);
    sync.onReply('n2', { kind: 'epochsReply', opId: 1, known: true, complete: true, toMember: true, epochs: [[2, 4, 3]] });
    assert.equal(host.epochs.known, false, 'its copies of partition 2 may predate round 3');
    assert.equal(host.counters.get('tombstones.rejoinBlocked'), 1);
    const fresh = new TestTombstoneHost('n1', view, null);
    new EpochSync(defaultTombstoneSettings, fresh).onReply('n2', { kind: 'epochsReply', opId: 1, known: true, complete: true, toMember: true, epochs: [[2, 4, 3]] });
    assert.equal(fresh.epochs.known, true, 'a new disk holds nothing a round could have made stale');
    assert.equal(fresh.epochs.newDisk, false, 'once it learned, it takes objects: a later rejoin is checked');
  });

  test('a new disk that restarts before it learned is still new (its record says so)', () => {
    const host = new TestTombstoneHost('n1', view, { known: false, member: true, fresh: true, epochs: [] });
    new EpochSync(defaultTombstoneSettings, host).onReply('n2', { kind: 'epochsReply', opId: 1, known: true, complete: true, toMember: true, epochs: [[2, 4, 3]] });
    assert.equal(host.epochs.known, true, 'it refused every object so far: nothing it holds can be stale');
  });

  test('a node that becomes a member again stops giving up its partitions', () => {
    const self = { name: 'n4', address: 'h:4', httpUrl: 'http://h:4', capacity: 1 };
    const host = new TestTombstoneHost('n4', seedOnlyView(self, testPartitionCount), { known: true, member: false, fresh: false, epochs: [[2, 1, 1]] });
    host.epochs.abandon(2);
    const sync = new EpochSync(defaultTombstoneSettings, host);
    host.view = testView(['n1', 'n2', 'n3', 'n4']);
    sync.onTick();
    assert.equal(host.epochs.isAbandoned(2), false, 'a hint it keeps as a member counts toward W (review)');
  });

  test('a node that crashed right after it joined again still learns anew (its disk says it was not a member)', () => {
    const host = new TestTombstoneHost('n1', view, { known: true, member: false, fresh: false, epochs: [[2, 1, 1]] });
    new EpochSync(defaultTombstoneSettings, host).onTick();
    assert.equal(host.epochs.known, false);
  });

  test('answers a query with what it knows only while it is a member that knows', () => {
    const host = new TestTombstoneHost('n1', view, { known: true, member: true, fresh: false, epochs: [[2, 4, 0]] });
    const sync = new EpochSync(defaultTombstoneSettings, host);
    sync.onQuery('n2', { kind: 'epochsQuery', opId: 5 });
    assert.deepEqual(host.takeSent()[0]?.message, { kind: 'epochsReply', opId: 5, known: true, complete: true, toMember: true, epochs: [[2, 4, 0]] });
    const fresh = new TestTombstoneHost('n1', view, null);
    new EpochSync(defaultTombstoneSettings, fresh).onQuery('n2', { kind: 'epochsQuery', opId: 6 });
    assert.deepEqual(fresh.takeSent()[0]?.message, { kind: 'epochsReply', opId: 6, known: false, complete: true, toMember: true, epochs: [] });
  });
});
