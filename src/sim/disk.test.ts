import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { StoreOp } from '../core/replica/store-op.ts';
import { coordinateWrite } from '../core/version/object.ts';
import { SimDisk, defaultDiskConfig, type CrashLoss, type StoreEffect } from './disk.ts';
import { EventQueue } from './event-queue.ts';
import { labelBytes, labelOf } from './labels.ts';
import { Prng } from './prng.ts';

function disk(seed = 1): { disk: SimDisk; queue: EventQueue; losses: CrashLoss[] } {
  const queue = new EventQueue();
  const losses: CrashLoss[] = [];
  const observer = { onWrite() {}, onCrashLoss: (loss: CrashLoss) => losses.push(loss) };
  return { disk: new SimDisk('n1', 'inc1', queue, new Prng(seed), defaultDiskConfig, undefined, observer), queue, losses };
}

let storeId = 0;
function put(key: string, label: string): StoreEffect {
  const op: StoreOp = {
    kind: 'coordinate',
    intent: { value: labelBytes(label), contentType: 't', deleted: false, context: null },
    actor: 'n1.inc1',
    nowMs: 1,
    resolution: 'siblings',
  };
  return { type: 'store', storeId: ++storeId, partition: 0, bucket: 'b', key, op };
}

const labels = (d: SimDisk, durable = false): string[] => ((durable ? d.durableGet(0, 'b', 'k') : d.get(0, 'b', 'k'))?.siblings ?? []).map((s) => labelOf(s.value));

test('a store op applies at once, visible before any flush, and returns its outcome', () => {
  const { disk: d } = disk();
  const done = ['w1', 'w2', 'w3'].map((label) => {
    const outcome = d.submit(put('k', label));
    return `${label}:${outcome.ok && outcome.written?.dot[1]}`;
  });
  assert.deepEqual(done, ['w1:1', 'w2:2', 'w3:3']);
  assert.deepEqual(labels(d), ['w1', 'w2', 'w3']);
  assert.deepEqual(labels(d, true), [], 'nothing is on disk yet');
});

test('a flush barrier answers once every write before it is on disk; the writer flushes by itself after the interval', () => {
  const { disk: d, queue } = disk();
  d.submit(put('k', 'w1'));
  let flushed = false;
  d.flush((ok) => (flushed = ok));
  assert.deepEqual(labels(d, true), [], 'nothing is on disk before the flush lands');
  queue.runUntil(50_000);
  assert.ok(flushed);
  assert.deepEqual(labels(d, true), ['w1']);
  d.submit(put('k', 'w2'));
  queue.runUntil(50_000 + (defaultDiskConfig.flushIntervalMs - 1) * 1000);
  assert.deepEqual(labels(d, true), ['w1'], 'not before the interval');
  queue.runUntil(50_000 + (defaultDiskConfig.flushIntervalMs + 50) * 1000);
  assert.deepEqual(labels(d, true), ['w1', 'w2'], 'the writer committed it');
});

test('a crash loses what no flush committed, tells the oracle which dots, and reports nothing', () => {
  const { disk: d, queue, losses } = disk();
  d.submit(put('k', 'w1'));
  d.flush(() => {});
  queue.runUntil(50_000);
  for (const label of ['w2', 'w3']) d.submit(put('k', label));
  d.writeMeta('view', Uint8Array.of(1));
  let flushedAfterCrash = false;
  d.flush(() => (flushedAfterCrash = true));
  d.crash();
  queue.runUntil(2_000_000);
  assert.ok(!flushedAfterCrash, 'nobody hears back from a crashed node');
  assert.deepEqual(labels(d), ['w1']);
  assert.equal(d.meta.get('view'), undefined, 'meta records are buffered too');
  assert.equal(losses.length, 1, 'one key lost writes');
  const [loss] = losses;
  assert.deepEqual(loss!.visible.flatMap((object) => object.siblings.map((sibling) => labelOf(sibling.value))), ['w1', 'w2', 'w3']);
  assert.deepEqual(loss!.durable.flatMap((object) => object.siblings.map((sibling) => labelOf(sibling.value))), ['w1']);
});

test('a flush in flight when the node crashes lands for some seeds and not for others', () => {
  const outcomes = new Set<number>();
  for (let seed = 1; seed <= 20; seed++) {
    const { disk: d } = disk(seed);
    d.submit(put('k', 'w1'));
    d.flush(() => {});
    d.crash();
    outcomes.add(labels(d).length);
  }
  assert.deepEqual([...outcomes].sort(), [0, 1]);
});

test('a wipe loses the data, makes the disk fresh and changes the incarnation', () => {
  const { disk: d, queue } = disk();
  d.fresh = false;
  d.submit(put('k', 'w1'));
  d.flush(() => {});
  queue.runUntil(1_000_000);
  d.wipe('inc2');
  assert.equal(d.get(0, 'b', 'k'), null);
  assert.equal(d.durableGet(0, 'b', 'k'), null);
  assert.equal(d.incarnation, 'inc2');
  assert.ok(d.fresh);
});

test('an invalid object is never written', () => {
  const queue = new EventQueue();
  const broken = new SimDisk('n1', 'i', queue, new Prng(1), defaultDiskConfig, (stored, op) => {
    const written = coordinateWrite(stored, (op as Extract<StoreOp, { kind: 'coordinate' }>).intent, 'n1.i', 1, 'siblings');
    const invalid = { siblings: written.object.siblings, context: { clock: [], dots: [] } };
    return { outcome: { ok: true, object: invalid, previous: null }, write: invalid };
  });
  assert.throws(() => broken.submit(put('k', 'w1')), /invalid object/);
});
