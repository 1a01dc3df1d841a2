import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FenceWaits } from './fence-waits.ts';

test('a read waits until its partition reaches its epoch or its time is up, in the order reads came; a full list takes no more', () => {
  const waits = new FenceWaits<string>(2);
  assert.equal(waits.park({ partition: 1, epoch: 3, untilMs: 50, read: 'a' }), true);
  assert.equal(waits.park({ partition: 2, epoch: 5, untilMs: 20, read: 'b' }), true);
  assert.equal(waits.park({ partition: 1, epoch: 3, untilMs: 50, read: 'c' }), false, 'full: served at once');
  const epochs = new Map([[1, 2], [2, 4]]);
  const epochOf = (partition: number): number => epochs.get(partition) ?? 0;
  assert.deepEqual(waits.due(epochOf, 10), []);
  epochs.set(1, 3);
  assert.deepEqual(waits.due(epochOf, 10), ['a'], 'its fence came');
  assert.deepEqual(waits.due(epochOf, 20), ['b'], 'its time is up');
  assert.equal(waits.size, 0);
});
