import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { reconnectDelayMs } from './backoff.ts';

const range = { reconnectBackoffMsMin: 50, reconnectBackoffMsMax: 2_000 };

test('the delay stays within [min, max] whatever the failure count and jitter', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 10_000 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (failures, random) => {
      const delayMs = reconnectDelayMs(failures, range, random);
      assert.ok(delayMs >= 50 && delayMs <= 2_000, `${delayMs}`);
    }),
  );
});

test('the delay grows exponentially until the cap, and jitter spreads it', () => {
  const lowest = (failures: number) => reconnectDelayMs(failures, range, 0);
  const highest = (failures: number) => reconnectDelayMs(failures, range, 0.999_999);
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7].map(highest), [50, 100, 200, 400, 800, 1600, 2000]);
  assert.deepEqual([2, 3, 4].map(lowest), [50, 100, 200]);
  assert.equal(highest(1_000), 2_000);
  assert.equal(lowest(1_000), 1_000);
});
