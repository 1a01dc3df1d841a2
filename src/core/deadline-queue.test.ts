import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DeadlineQueue } from './deadline-queue.ts';

test('popExpired returns exactly the ids due, earliest first', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 1000 }), { maxLength: 200 }), fc.integer({ min: 0, max: 1000 }), (deadlines, now) => {
      const queue = new DeadlineQueue();
      deadlines.forEach((deadline, id) => queue.push(deadline, id));
      const expired = queue.popExpired(now);
      const expected = deadlines.map((deadline, id) => ({ deadline, id })).filter((e) => e.deadline <= now);
      assert.deepEqual(new Set(expired), new Set(expected.map((e) => e.id)));
      const order = expired.map((id) => deadlines[id] as number);
      assert.deepEqual(order, [...order].sort((a, b) => a - b));
      assert.equal(queue.size, deadlines.length - expired.length);
      assert.deepEqual(queue.popExpired(now), []);
    }),
  );
});
