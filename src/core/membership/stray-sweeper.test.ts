import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { PeerMessage, TransferEntry } from '../messages.ts';
import { preferenceList } from '../ring/ring.ts';
import type { StoreOp } from '../replica/store-op.ts';
import { coordinateWrite } from '../version/object.ts';
import type { StoredObject } from '../version/types.ts';
import type { MembershipHost } from './host.ts';
import { configView } from './initial-view.ts';
import { commitPlan, planChange } from './plan.ts';
import { StraySweeper, strayChunkAckTimeoutMs } from './stray-sweeper.ts';
import { servingRing, type ClusterView } from './view.ts';

const node = (name: string, i: number) => ({ name, address: `127.0.0.1:${7000 + i}`, httpUrl: `http://127.0.0.1:${8000 + i}`, capacity: 1 });
const base = configView(['n1', 'n2', 'n3', 'n4'].map(node), 16, 3);
const ring = servingRing(base);
/** A partition n4 does not replicate, and one it does. */
const strayPartition = [...Array(16).keys()].find((p) => !preferenceList(ring, p, 3).includes('n4'))!;
const ownPartition = [...Array(16).keys()].find((p) => preferenceList(ring, p, 3).includes('n4'))!;
const object = coordinateWrite(null, { value: new Uint8Array([1]), contentType: 'text/plain', deleted: false, context: null }, 'n1.00000001', 1, 'siblings').object;
const entry: TransferEntry = { bucket: 'b', key: 'k', object };

/** n4's sweeper over a disk holding one key in `strayPartition` and one in `ownPartition`; store ops complete when `complete()` is called. */
function harness(abandoned = false) {
  let nowMs = 0;
  let opId = 1;
  const sent: { to: string; message: PeerMessage }[] = [];
  const stores: StoreOp[] = [];
  const drops: StoredObject[] = [];
  const storesDone: (() => void)[] = [];
  const host: MembershipHost = {
    self: 'n4',
    get nowMs() {
      return nowMs;
    },
    nextOpId: () => opId++,
    send: (to, message) => sent.push({ to, message }),
    persist: () => {},
    epochOf: () => 0,
    scan: (partition, after, done) => done({ entries: after === null && (partition === strayPartition || partition === ownPartition) ? [entry] : [], exhausted: true, stamp: 0 }),
    store: (_target, op, done) => {
      stores.push(op);
      storesDone.push(() => done({ ok: true, object: null, previous: object }));
    },
    flush: (done) => done(true),
    resolutionOf: () => 'siblings',
    replicasOf: (partition) => preferenceList(ring, partition, 3),
    count: () => {},
    isReachable: () => true,
    beforeDrop: (dropped) => drops.push(dropped),
    abandoned: () => abandoned,
  };
  const sweeper = new StraySweeper(host, 3, '127.0.0.1:7004');
  const complete = (): void => storesDone.splice(0).forEach((done) => done());
  return { sweeper, sent, stores, drops, complete, advance: (ms: number) => (nowMs += ms) };
}

const chunks = (sent: { to: string; message: PeerMessage }[]) => sent.filter((s) => s.message.kind === 'transferChunk');

describe('stray sweeper', () => {
  test('hands a key it does not replicate to every replica, and drops it only once all of them stored it', () => {
    const { sweeper, sent, stores, drops } = harness();
    sweeper.onTick(base);
    const handed = chunks(sent);
    assert.deepEqual(handed.map((s) => s.to).sort(), [...preferenceList(ring, strayPartition, 3)].sort());
    for (const { message } of handed) assert.equal(message.kind === 'transferChunk' && message.partition, strayPartition, 'its own partition is not swept');
    assert.equal(stores.length, 0);
    sweeper.onAck({ kind: 'transferAck', opId: handed[0]!.message.opId });
    sweeper.onAck({ kind: 'transferAck', opId: handed[1]!.message.opId });
    assert.equal(stores.length, 0, 'not before the last replica has it');
    sweeper.onAck({ kind: 'transferAck', opId: handed[2]!.message.opId });
    assert.deepEqual(stores, [{ kind: 'dropIfUnchanged', object, reason: 'stray' }]);
    assert.deepEqual(drops, [object], 'the node may move to a new writer before each drop');
  });

  test('a node that missed a tombstone collection round drops its copies of the partition without handing them off', () => {
    const { sweeper, sent, stores } = harness(true);
    sweeper.onTick(base);
    assert.equal(chunks(sent).length, 0, 'they would be refused as read before the round (tombstones/epochs.ts)');
    assert.deepEqual(stores, [{ kind: 'dropIfUnchanged', object, reason: 'stray' }]);
  });

  test('while a drop is in flight, chunks for its partition are to be refused', () => {
    const { sweeper, sent, complete } = harness();
    sweeper.onTick(base);
    for (const { message } of chunks(sent)) sweeper.onAck({ kind: 'transferAck', opId: message.opId });
    assert.equal(sweeper.isDropping(strayPartition), true);
    assert.equal(sweeper.isDropping(ownPartition), false);
    complete();
    assert.equal(sweeper.isDropping(strayPartition), false);
  });

  test('a replica that fails or never answers ends the pass: nothing is dropped, the next pass sends again', () => {
    const { sweeper, sent, stores, advance } = harness();
    sweeper.onTick(base);
    const [first, second] = chunks(sent);
    sweeper.onAck({ kind: 'transferAck', opId: first!.message.opId });
    sweeper.onAck({ kind: 'transferAck', opId: second!.message.opId, error: { kind: 'error', code: 'internal', message: 'disk full' } });
    assert.equal(stores.length, 0);
    advance(strayChunkAckTimeoutMs);
    sweeper.onTick(base);
    assert.equal(chunks(sent).length, 6, 'the next pass hands the key off again');
    advance(strayChunkAckTimeoutMs);
    sweeper.onTick(base); // silence past the deadline ends this pass too
    assert.equal(stores.length, 0);
  });

  test('a chunk this node accepted for the partition after the scan vetoes the drops', () => {
    const { sweeper, sent, stores } = harness();
    sweeper.onTick(base);
    sweeper.onChunkAccepted(strayPartition); // e.g. a transfer that merged an equal copy
    for (const { message } of chunks(sent)) sweeper.onAck({ kind: 'transferAck', opId: message.opId });
    assert.equal(stores.length, 0);
  });

  test('nothing is swept during a transition, and a view change stops a pass before it drops', () => {
    const transition: ClusterView = commitPlan(base, planChange(base, [{ action: 'join', node: node('n5', 5) }], 3), 'n1');
    const during = harness();
    during.sweeper.onTick(transition);
    assert.equal(during.sent.length, 0);
    const changed = harness();
    changed.sweeper.onTick(base);
    changed.sweeper.onViewChanged(transition);
    for (const { message } of chunks(changed.sent)) changed.sweeper.onAck({ kind: 'transferAck', opId: message.opId });
    assert.equal(changed.stores.length, 0);
  });

  test('with buckets of different N, the keys of a smaller one on a node past its N are handed off, the others kept', () => {
    // n4 is the third node of `ownPartition`'s walk (N = 3): it replicates keys of an N = 3 bucket
    // there but not of an N = 2 one, which only the first two replicate.
    const third = [...Array(16).keys()].find((p) => preferenceList(ring, p, 3)[2] === 'n4')!;
    const pair: TransferEntry = { bucket: 'pair', key: 'k', object };
    const wide: TransferEntry = { bucket: 'wide', key: 'k', object };
    let opId = 1;
    const sent: { to: string; message: PeerMessage }[] = [];
    const stores: StoreOp[] = [];
    const host: MembershipHost = {
      self: 'n4',
      nowMs: 0,
      nextOpId: () => opId++,
      send: (to, message) => sent.push({ to, message }),
      persist: () => {},
      epochOf: () => 0,
      scan: (partition, after, done) => done({ entries: after === null && partition === third ? [pair, wide] : [], exhausted: true, stamp: 0 }),
      store: (_target, op, done) => {
        stores.push(op);
        done({ ok: true, object: null, previous: object });
      },
      flush: (done) => done(true),
      resolutionOf: () => 'siblings',
      replicasOf: (partition, bucket) => preferenceList(ring, partition, bucket === 'pair' ? 2 : 3),
      count: () => {},
      isReachable: () => true,
      beforeDrop: () => {},
      abandoned: () => false,
    };
    new StraySweeper(host, 3, '127.0.0.1:7004').onTick(base);
    assert.equal(chunks(sent).length, 0, 'with every bucket at N = 3 the partition is its own: not even read');
    const sweeper = new StraySweeper(host, 2, '127.0.0.1:7004');
    sweeper.onTick(base);
    const handed = chunks(sent);
    assert.deepEqual(handed.map((s) => s.to).sort(), preferenceList(ring, third, 2).sort());
    for (const { message } of handed) assert.deepEqual(message.kind === 'transferChunk' && message.entries, [pair], 'only the N = 2 key goes');
    for (const { message } of handed) sweeper.onAck({ kind: 'transferAck', opId: message.opId });
    assert.deepEqual(stores, [{ kind: 'dropIfUnchanged', object, reason: 'stray' }]);
  });
});
