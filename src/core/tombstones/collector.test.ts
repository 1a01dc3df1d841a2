import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { CandidateHolding, PeerMessage, TombConfirm, TombFence, TombRemove } from '../messages.ts';
import { addDot, emptyContext } from '../version/causal-context.ts';
import type { StoredObject } from '../version/types.ts';
import { TombstoneCollector } from './collector.ts';
import { TombstoneParticipant } from './participant.ts';
import { defaultTombstoneSettings } from './settings.ts';
import { TestTombstoneHost, testView } from './test-host.ts';

const names = ['n1', 'n2', 'n3', 'n4'];
const view = testView(names);
const settings = { ...defaultTombstoneSettings, roundIntervalMs: 100, scanIntervalMs: 100, roundTimeoutMs: 1_000 };

function tombstoneOf(counter: number): StoredObject {
  return {
    siblings: [{ dot: ['n1.a', counter], value: new Uint8Array(), contentType: 'x', lastModifiedMs: counter, deleted: true }],
    context: addDot(emptyContext, ['n1.a', counter], counter),
  };
}
const live: StoredObject = {
  siblings: [{ dot: ['n1.a', 1], value: new Uint8Array([1]), contentType: 'x', lastModifiedMs: 1, deleted: false }],
  context: addDot(emptyContext, ['n1.a', 1], 1),
};

/** n1's collector, started on the first partition n1 owns, with a scan returning `entries`. */
function collectorOf(entries: { key: string; object: StoredObject }[]) {
  const host = new TestTombstoneHost('n1', view);
  const collector = new TombstoneCollector(settings, host, new TombstoneParticipant(host));
  const partition = host.ring.owners.indexOf('n1');
  host.scanEntries = entries.map(({ key, object }) => ({ bucket: 'b', key, object }));
  for (const { key, object } of entries) host.store({ partition, bucket: 'b', key }, object);
  host.nowMs = 1;
  collector.onTick();
  host.runPending(); // the scan, and n1's own fence
  return { host, collector, partition, replicas: host.replicasOf(partition) };
}

function sentOf<K extends PeerMessage['kind']>(host: TestTombstoneHost, kind: K): { to: string; message: Extract<PeerMessage, { kind: K }> }[] {
  return host.takeSent().filter((sent): sent is { to: string; message: Extract<PeerMessage, { kind: K }> } => sent.message.kind === kind);
}

/** Answers every fence as `holdingOf(member)` says, every confirm as confirmed. */
function answerFences(collector: TombstoneCollector, fences: { to: string; message: TombFence }[], holdingOf: (member: string, i: number) => CandidateHolding): void {
  for (const { to, message } of fences) {
    const holdings = message.candidates.map((_, i) => holdingOf(to, i));
    collector.onFenceReply(to, { kind: 'tombFenceReply', opId: message.opId, incarnation: `${to}.disk1`, holdings, epoch: message.epoch });
  }
}

function answerConfirms(collector: TombstoneCollector, confirms: { to: string; message: TombConfirm }[], incarnation = (member: string) => `${member}.disk1`): void {
  for (const { to, message } of confirms) collector.onConfirmReply(to, { kind: 'tombConfirmReply', opId: message.opId, incarnation: incarnation(to), confirmed: true });
}

describe('TombstoneCollector', () => {
  test('a round fences every member, confirms, then removes what every replica holds exactly', () => {
    const { host, collector, replicas } = collectorOf([
      { key: 'gone', object: tombstoneOf(2) },
      { key: 'alive', object: live },
      { key: 'hinted', object: tombstoneOf(3) },
    ]);
    const fences = sentOf(host, 'tombFence');
    assert.deepEqual(fences.map((sent) => sent.to).sort(), ['n2', 'n3', 'n4'], 'every other member, replica or not');
    assert.deepEqual(fences[0]!.message.candidates.map((candidate) => candidate.key), ['gone', 'hinted'], 'only tombstones are candidates');
    assert.equal(host.epochs.of(fences[0]!.message.partition), 1, 'the collector fenced itself too');
    // Replicas hold both tombstones; the non-replica holds a hint of the second.
    answerFences(collector, fences, (member, i) => (replicas.includes(member) ? 'tombstone' : i === 1 ? 'other' : 'absent'));
    host.runPending();
    const confirms = sentOf(host, 'tombConfirm');
    assert.equal(confirms.length, 3);
    answerConfirms(collector, confirms);
    host.runPending();
    const removes = sentOf(host, 'tombRemove') as { to: string; message: TombRemove }[];
    assert.deepEqual(removes.map((sent) => sent.to).sort(), replicas.filter((replica) => replica !== 'n1').sort());
    for (const { message } of removes) assert.deepEqual(message.entries.map((entry) => entry.key), ['gone']);
    assert.deepEqual(host.dropped.map((drop) => drop.target.key), replicas.includes('n1') ? ['gone'] : []);
    assert.equal(host.counters.get('tombstones.collected'), 1);
    assert.equal(collector.roundInProgress, null);
  });

  test('a replica without the tombstone keeps it everywhere', () => {
    const { host, collector, replicas } = collectorOf([{ key: 'gone', object: tombstoneOf(2) }]);
    const lagging = replicas.find((replica) => replica !== 'n1')!;
    answerFences(collector, sentOf(host, 'tombFence'), (member) => (member === lagging ? 'absent' : replicas.includes(member) ? 'tombstone' : 'absent'));
    host.runPending();
    answerConfirms(collector, sentOf(host, 'tombConfirm'));
    assert.equal(sentOf(host, 'tombRemove').length, 0);
    assert.equal(host.dropped.length, 0);
  });

  test('a member wiped between fence and confirm (another incarnation) ends the round with nothing removed', () => {
    const { host, collector, replicas } = collectorOf([{ key: 'gone', object: tombstoneOf(2) }]);
    answerFences(collector, sentOf(host, 'tombFence'), (member) => (replicas.includes(member) ? 'tombstone' : 'absent'));
    host.runPending();
    answerConfirms(collector, sentOf(host, 'tombConfirm'), (member) => (member === 'n3' ? 'n3.disk2' : `${member}.disk1`));
    assert.equal(sentOf(host, 'tombRemove').length, 0);
    assert.equal(host.dropped.length, 0);
    assert.equal(host.counters.get('tombstones.rounds.unconfirmed'), 1);
  });

  test('a refusal ends the round, and the next round goes past the highest epoch reported', () => {
    const { host, collector, partition } = collectorOf([{ key: 'gone', object: tombstoneOf(2) }]);
    const [first, ...rest] = sentOf(host, 'tombFence');
    collector.onFenceReply(first!.to, { kind: 'tombFenceReply', opId: first!.message.opId, incarnation: 'x', holdings: [], epoch: 7, refused: 'at epoch 7 already' });
    assert.equal(collector.roundInProgress, null);
    answerFences(collector, rest, () => 'tombstone'); // late answers to an ended round change nothing
    // Partitions n1 owns take turns; rounds over the others are refused until it is this one's.
    let next: { to: string; message: TombFence } | undefined;
    for (let i = 0; i < 16 && next === undefined; i++) {
      host.nowMs += settings.roundIntervalMs;
      collector.onTick();
      host.runPending();
      const fences = sentOf(host, 'tombFence');
      next = fences.find((sent) => sent.message.partition === partition);
      const other = fences[0];
      if (next === undefined && other !== undefined) {
        collector.onFenceReply(other.to, { kind: 'tombFenceReply', opId: other.message.opId, incarnation: 'x', holdings: [], epoch: 0, refused: 'not now' });
      }
    }
    assert.equal(next?.message.epoch, 8);
  });

  test('no round while a member is unreachable, the ring is in transition, or the epochs are unknown', () => {
    const down = new TestTombstoneHost('n1', view);
    down.unreachable.add('n4');
    const fresh = new TestTombstoneHost('n1', view, null);
    const moving = new TestTombstoneHost('n1', { ...view, next: view.owners, transfers: [] });
    for (const host of [down, fresh, moving]) {
      host.scanEntries = [{ bucket: 'b', key: 'gone', object: tombstoneOf(2) }];
      const collector = new TombstoneCollector(settings, host, new TombstoneParticipant(host));
      host.nowMs = 1;
      collector.onTick();
      host.runPending();
      assert.equal(sentOf(host, 'tombFence').length, 0);
    }
  });

  test('a partition whose sweep found no tombstone is not scanned again until one is stored', () => {
    const host = new TestTombstoneHost('n1', view);
    const collector = new TombstoneCollector(settings, host, new TombstoneParticipant(host));
    const owned = host.ring.owners.filter((owner) => owner === 'n1').length;
    let scans = 0;
    const scan = host.scan.bind(host);
    host.scan = (partition, after, entriesMax, done) => {
      scans++;
      scan(partition, after, entriesMax, done);
    };
    host.scanEntries = [{ bucket: 'b', key: 'alive', object: live }];
    const tick = (): void => {
      host.nowMs += settings.scanIntervalMs;
      collector.onTick();
      host.runPending();
    };
    for (let i = 0; i < owned * 3; i++) tick();
    assert.equal(scans, owned, 'each partition it collects was swept once, then left alone');
    const partition = host.ring.owners.indexOf('n1');
    collector.onTombstoneStored(partition);
    host.scanEntries = [{ bucket: 'b', key: 'gone', object: tombstoneOf(2) }];
    for (let i = 0; i < owned; i++) tick();
    assert.equal(scans, owned + 1, 'a stored tombstone brings its partition back');
    assert.equal(collector.roundInProgress?.partition, partition);
  });

  test('a round not answered in time ends', () => {
    const { host, collector } = collectorOf([{ key: 'gone', object: tombstoneOf(2) }]);
    assert.ok(collector.roundInProgress);
    host.nowMs += settings.roundTimeoutMs;
    collector.onTick();
    assert.equal(host.counters.get('tombstones.rounds.timeout'), 1);
  });
});
