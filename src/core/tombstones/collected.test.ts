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

test('a copy of a removed tombstone, or an older version, read at or below the removal epoch is judged collected, within the window', () => {
  const collected = new CollectedTombstones(100);
  collected.record(10, 3, 7, 'b', 'k', deleted(2));
  assert.equal(collected.supersedes(20, 3, 7, 'b', 'k', deleted(2)), true, 'the tombstone itself');
  assert.equal(collected.supersedes(20, 3, 6, 'b', 'k', deleted(1)), true, 'an older version');
  assert.equal(collected.supersedes(20, 3, 7, 'b', 'k', deleted(3)), false, 'a write the tombstone had not seen');
  assert.equal(collected.supersedes(20, 3, 8, 'b', 'k', deleted(2)), false, 'read after a later fence: from a replica that kept it');
  assert.equal(collected.supersedes(20, 3, 7, 'b', 'other', deleted(2)), false, 'another key');
  assert.equal(collected.supersedes(20, 4, 7, 'b', 'k', deleted(2)), false, 'another partition');
  assert.equal(collected.supersedes(111, 3, 7, 'b', 'k', deleted(2)), false, 'past the window: repaired back, for a later round');
});

test('a later round\'s removal replaces the earlier one', () => {
  const collected = new CollectedTombstones(100);
  collected.record(10, 3, 7, 'b', 'k', deleted(2));
  collected.record(20, 3, 8, 'b', 'j', deleted(2));
  assert.equal(collected.supersedes(30, 3, 7, 'b', 'k', deleted(2)), false);
  assert.equal(collected.supersedes(30, 3, 8, 'b', 'j', deleted(2)), true);
});
