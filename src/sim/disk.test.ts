import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { StoreOp } from '../core/replica/store-op.ts';
import { coordinateWrite } from '../core/version/object.ts';
import { SimDisk, defaultDiskConfig, type DiskWrite, type StoreEffect } from './disk.ts';
import { EventQueue } from './event-queue.ts';
import { labelBytes, labelOf } from './labels.ts';
import { Prng } from './prng.ts';

function disk(seed = 1): { disk: SimDisk; queue: EventQueue; writes: DiskWrite[] } {
  const queue = new EventQueue();
  const writes: DiskWrite[] = [];
  return { disk: new SimDisk('n1', 'inc1', queue, new Prng(seed), defaultDiskConfig, undefined, (w) => writes.push(w)), queue, writes };
}

let storeId = 0;
function put(key: string, label: string): StoreEffect {
  const op: StoreOp = {
    kind: 'coordinate',
    intent: { value: labelBytes(label), contentType: 't', deleted: false, context: null },
    actor: 'n1.inc1',
    actorGeneration: 0,
    nowMs: 1,
    resolution: 'siblings',
  };
  return { type: 'store', storeId: ++storeId, partition: 0, bucket: 'b', key, op };
}

test('ops of one key apply one at a time, in the order they were issued', () => {
  const { disk: d, queue } = disk();
  const done: string[] = [];
  for (const label of ['w1', 'w2', 'w3']) d.submit(put('k', label), (outcome) => done.push(`${label}:${outcome.ok && outcome.written?.dot[1]}`));
  assert.deepEqual(done, [], 'a store op takes time');
  queue.runUntil(1_000_000);
  // Blind writes to one key: each sees the previous one, so dots count up in issue order.
  assert.deepEqual(done, ['w1:1', 'w2:2', 'w3:3']);
  assert.deepEqual(d.get(0, 'b', 'k')!.siblings.map((s) => labelOf(s.value)), ['w1', 'w2', 'w3']);
});

test('a crash applies a prefix of each key queue, reports nothing, and keeps the data', () => {
  const prefixes = new Set<number>();
  for (let seed = 1; seed <= 30; seed++) {
    const { disk: d, queue, writes } = disk(seed);
    d.submit(put('k', 'w0'), () => {});
    queue.runUntil(1_000_000);
    const reported: string[] = [];
    for (const label of ['w1', 'w2', 'w3']) d.submit(put('k', label), () => reported.push(label));
    d.crash();
    queue.runUntil(2_000_000);
    assert.deepEqual(reported, [], 'nobody hears back from a crashed node');
    const labels = d.get(0, 'b', 'k')!.siblings.map((s) => labelOf(s.value));
    assert.deepEqual(labels, ['w0', 'w1', 'w2', 'w3'].slice(0, labels.length), 'what reached the disk is a prefix');
    assert.ok(writes.slice(1).every((w) => w.duringCrash));
    prefixes.add(labels.length - 1);
  }
  assert.deepEqual([...prefixes].sort(), [0, 1, 2, 3], 'every prefix happens for some seed');
});

test('a wipe loses the data and changes the incarnation', () => {
  const { disk: d, queue } = disk();
  d.submit(put('k', 'w1'), () => {});
  queue.runUntil(1_000_000);
  d.wipe('inc2');
  assert.equal(d.get(0, 'b', 'k'), null);
  assert.equal(d.incarnation, 'inc2');
});

test('an invalid object is never written', () => {
  const queue = new EventQueue();
  const broken = new SimDisk('n1', 'i', queue, new Prng(1), defaultDiskConfig, (stored, op) => {
    const written = coordinateWrite(stored, (op as Extract<StoreOp, { kind: 'coordinate' }>).intent, 'n1.i', 1, 'siblings');
    const invalid = { siblings: written.object.siblings, context: { clock: [], dots: [] } };
    return { outcome: { ok: true, object: invalid, previous: null }, write: invalid };
  });
  broken.submit(put('k', 'w1'), () => {});
  assert.throws(() => queue.runUntil(1_000_000), /invalid object/);
});
