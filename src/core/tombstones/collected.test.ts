import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addDot, emptyContext } from '../version/causal-context.ts';
import type { StoredObject } from '../version/types.ts';
import { CollectedTombstones } from './collected.ts';

const deleted = (counter: number): StoredObject => {
  const dot = ['n2.a', counter] as const;
  let context = emptyContext;
  for (let i = 1; i <= counter; i++) context = addDot(context, ['n2.a', i], i);
  return { siblings: [{ dot, value: new Uint8Array(), contentType: '', lastModifiedMs: counter, deleted: true }], context };
};

test('a copy of a removed tombstone, or an older version, is judged collected within the window, whatever epoch it was read at', () => {
  const collected = new CollectedTombstones(100, 10);
  collected.record(10, 3, 'b', 'k', deleted(2));
  assert.equal(collected.supersedes(20, 3, 'b', 'k', deleted(2)), true, 'the tombstone itself');
  assert.equal(collected.supersedes(20, 3, 'b', 'k', deleted(1)), true, 'an older version');
  assert.equal(collected.supersedes(20, 3, 'b', 'k', deleted(3)), false, 'a write the tombstone had not seen');
  assert.equal(collected.supersedes(20, 3, 'b', 'other', deleted(2)), false, 'another key');
  assert.equal(collected.supersedes(20, 4, 'b', 'k', deleted(2)), false, 'another partition');
  assert.equal(collected.supersedes(110, 3, 'b', 'k', deleted(2)), true, 'at the window\'s end');
  assert.equal(collected.supersedes(111, 3, 'b', 'k', deleted(2)), false, 'past the window: repaired back, for a later round');
});

test('a later round\'s removal of another key keeps the earlier one for its window', () => {
  // A replica whose remove of the first round came late is read after the second round's fence.
  const collected = new CollectedTombstones(100, 10);
  collected.record(10, 3, 'b', 'k', deleted(2));
  collected.record(20, 3, 'b', 'j', deleted(2));
  assert.equal(collected.supersedes(30, 3, 'b', 'k', deleted(2)), true);
  assert.equal(collected.supersedes(30, 3, 'b', 'j', deleted(2)), true);
  assert.equal(collected.supersedes(115, 3, 'b', 'k', deleted(2)), false, 'each for its own window');
  assert.equal(collected.supersedes(115, 3, 'b', 'j', deleted(2)), true);
});

test('a key removed again is kept for the window from its latest removal, with its latest tombstone', () => {
  const collected = new CollectedTombstones(100, 10);
  collected.record(10, 3, 'b', 'k', deleted(2));
  collected.record(50, 3, 'b', 'k', deleted(4));
  assert.equal(collected.supersedes(140, 3, 'b', 'k', deleted(4)), true);
  assert.equal(collected.size, 1);
});

test('expired removals are forgotten on purge (the node purges on tick) and on record', () => {
  const collected = new CollectedTombstones(100, 10);
  collected.record(10, 3, 'b', 'k', deleted(2));
  collected.record(60, 3, 'b', 'j', deleted(2));
  collected.purge(111);
  assert.equal(collected.size, 1, 'k expired');
  collected.record(161, 4, 'b', 'i', deleted(2));
  assert.equal(collected.size, 1, 'j expired as i came');
});

test('at most countMax keys: past it the oldest is forgotten early', () => {
  const collected = new CollectedTombstones(100, 2);
  collected.record(10, 3, 'b', 'a', deleted(2));
  collected.record(11, 3, 'b', 'b', deleted(2));
  collected.record(12, 3, 'b', 'c', deleted(2));
  assert.equal(collected.size, 2);
  assert.equal(collected.supersedes(13, 3, 'b', 'a', deleted(2)), false, 'the oldest, forgotten');
  assert.equal(collected.supersedes(13, 3, 'b', 'c', deleted(2)), true);
});
