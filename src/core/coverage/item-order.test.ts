import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compareBucketNames, compareKeys } from './item-order.ts';

const utf8 = (text: string) => Buffer.from(text, 'utf8');

test('keys order by their UTF-8 bytes, as storage keeps them (not by UTF-16 code units)', () => {
  // U+FFFD sorts before 😀 (U+1F600) in bytes; as JavaScript strings, the surrogate 0xD83D comes first.
  assert.ok(compareKeys('\uFFFD', '😀') < 0);
  assert.ok('\uFFFD' > '😀');
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', maxLength: 8 }), fc.string({ unit: 'grapheme', maxLength: 8 }), (a, b) => {
      assert.equal(Math.sign(compareKeys(a, b)), Math.sign(Buffer.compare(utf8(a), utf8(b))));
    }),
    { numRuns: 2000 },
  );
});

test('bucket names order as the storage layout holds them: by length, then bytes', () => {
  assert.deepEqual(['carts', 'b', 'users', 'ab', 'aa'].sort(compareBucketNames), ['b', 'aa', 'ab', 'carts', 'users']);
});
