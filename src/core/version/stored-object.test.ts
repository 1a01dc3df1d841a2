import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { bytesEqual, compareBytes } from './stored-object.ts';

/** The order by definition: the first differing byte, else the shorter first. */
function referenceCompare(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** Pairs that are mostly equal, on both sides of the length where the native compare takes over. */
const pairs = fc
  .tuple(fc.oneof(fc.uint8Array({ maxLength: 80 }), fc.uint8Array({ minLength: 60, maxLength: 300 })), fc.nat({ max: 299 }), fc.integer({ min: 0, max: 255 }), fc.nat({ max: 2 }), fc.boolean())
  .map(([bytes, at, byte, cut, same]) => {
    const other = Uint8Array.from(bytes);
    if (!same && at < other.length) other[at] = byte;
    return [bytes, cut === 0 ? other : other.subarray(0, Math.max(0, other.length - cut))] as const;
  });

test('value bytes compare as their definition says, short and long', () => {
  fc.assert(
    fc.property(pairs, ([a, b]) => {
      assert.equal(bytesEqual(a, b), referenceCompare(a, b) === 0);
      assert.equal(Math.sign(compareBytes(a, b)), Math.sign(referenceCompare(a, b)));
      assert.equal(Math.sign(compareBytes(b, a)), Math.sign(referenceCompare(b, a)));
    }),
    { numRuns: 2000 },
  );
});
