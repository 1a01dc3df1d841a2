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

test('interleaved pushes and pops, in order and out of it, match a sorted list', () => {
  type Step = { readonly kind: 'push'; readonly timeoutMs: number } | { readonly kind: 'advance'; readonly byMs: number };
  const step = fc.oneof(
    // Mostly one shared timeout (the FIFO's case), sometimes a shorter or longer one (the heap's).
    { weight: 6, arbitrary: fc.constant<Step>({ kind: 'push', timeoutMs: 100 }) },
    { weight: 2, arbitrary: fc.integer({ min: 0, max: 200 }).map((timeoutMs): Step => ({ kind: 'push', timeoutMs })) },
    { weight: 2, arbitrary: fc.integer({ min: 0, max: 60 }).map((byMs): Step => ({ kind: 'advance', byMs })) },
  );
  fc.assert(
    fc.property(fc.array(step, { maxLength: 400 }), (steps) => {
      const queue = new DeadlineQueue();
      let model: { deadline: number; id: number }[] = [];
      let nowMs = 0;
      let nextId = 0;
      for (const s of steps) {
        if (s.kind === 'push') {
          queue.push(nowMs + s.timeoutMs, nextId);
          model.push({ deadline: nowMs + s.timeoutMs, id: nextId++ });
        } else {
          nowMs += s.byMs;
          const expired = queue.popExpired(nowMs);
          const due = model.filter((entry) => entry.deadline <= nowMs);
          model = model.filter((entry) => entry.deadline > nowMs);
          assert.deepEqual(new Set(expired), new Set(due.map((entry) => entry.id)));
          const deadlines = expired.map((id) => due.find((entry) => entry.id === id)!.deadline);
          assert.deepEqual(deadlines, [...deadlines].sort((a, b) => a - b), 'earliest first');
        }
        assert.equal(queue.size, model.length);
      }
    }),
  );
});

test('a long run of entries in order is taken out whole, and the queue empties', () => {
  const queue = new DeadlineQueue();
  for (let id = 0; id < 10_000; id++) queue.push(id, id);
  queue.push(5, -1); // out of order: the heap
  const firstHalf = queue.popExpired(4_999);
  assert.equal(firstHalf.length, 5_001);
  assert.deepEqual(firstHalf.slice(0, 7), [0, 1, 2, 3, 4, 5, -1]);
  assert.equal(queue.size, 5_000);
  queue.push(20_000, 10_000);
  const rest = queue.popExpired(20_000);
  assert.deepEqual(rest, [...Array.from({ length: 5_000 }, (_, i) => 5_000 + i), 10_000]);
  assert.equal(queue.size, 0);
  queue.push(1, 1);
  assert.deepEqual(queue.popExpired(1), [1]);
});

test('entries stay in order when the ring wraps around, and when it grows while wrapped', () => {
  const queue = new DeadlineQueue();
  let next = 0;
  const pushMany = (count: number) => {
    for (let i = 0; i < count; i++, next++) queue.push(next, next);
  };
  pushMany(200);
  assert.deepEqual(queue.popExpired(149), Array.from({ length: 150 }, (_, i) => i));
  pushMany(200); // past the first 256 slots: wraps to the start
  pushMany(500); // grows with the entries wrapped
  assert.equal(queue.size, 750);
  assert.deepEqual(queue.popExpired(next), Array.from({ length: 750 }, (_, i) => 150 + i));
});
