import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EventQueue } from './event-queue.ts';

test('events run in time order, ties in the order they were scheduled', () => {
  const queue = new EventQueue();
  const ran: string[] = [];
  queue.at(300, () => ran.push('c'));
  queue.at(100, () => ran.push('a1'));
  queue.at(100, () => ran.push('a2'));
  queue.at(200, () => ran.push('b'));
  queue.at(100, () => ran.push('a3'));
  queue.runUntil(1_000);
  assert.deepEqual(ran, ['a1', 'a2', 'a3', 'b', 'c']);
  assert.equal(queue.nowUs, 1_000);
});

test('runUntil stops at its time and the clock shows each event its own time', () => {
  const queue = new EventQueue();
  const times: number[] = [];
  for (const at of [5_000, 1_000, 3_500, 9_000]) queue.at(at, () => times.push(queue.nowUs));
  queue.runUntil(4_000);
  assert.deepEqual(times, [1_000, 3_500]);
  assert.equal(queue.nowMs, 4);
  assert.equal(queue.size, 2);
  queue.runUntil(10_000);
  assert.deepEqual(times, [1_000, 3_500, 5_000, 9_000]);
});

test('events may schedule more events, also at the same instant', () => {
  const queue = new EventQueue();
  const ran: string[] = [];
  queue.at(10, () => {
    ran.push('first');
    queue.after(0, () => ran.push('same instant'));
    queue.after(5, () => ran.push('later'));
  });
  queue.at(10, () => ran.push('second'));
  queue.runUntil(100);
  assert.deepEqual(ran, ['first', 'second', 'same instant', 'later']);
});

test('the past cannot be scheduled', () => {
  const queue = new EventQueue();
  queue.runUntil(50);
  assert.throws(() => queue.at(49, () => {}));
});

test('a large random load comes out sorted', () => {
  const queue = new EventQueue();
  const times: number[] = [];
  let x = 12345;
  for (let i = 0; i < 5_000; i++) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    queue.at(x % 100_000, () => times.push(queue.nowUs));
  }
  queue.runUntil(100_000);
  assert.equal(times.length, 5_000);
  assert.ok(times.every((t, i) => i === 0 || times[i - 1]! <= t));
});
