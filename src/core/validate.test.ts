import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { limits } from './limits.ts';
import { bucketProblem, keyProblem } from './validate.ts';

describe('validation of what clients send', () => {
  test('a bucket name is 1 to bucketBytesMax characters of A-Z a-z 0-9 _ . -, and nothing else', () => {
    const reference = (name: string) => name.length >= 1 && name.length <= limits.bucketBytesMax && /^[A-Za-z0-9_.-]+$/.test(name);
    // The characters on either side of each range, and a few far from them.
    const edges = [...'@AZ[`az{/09:_.-^ ~\u0000\u00e9\u0130\u212a\ud83d'];
    const nameArb = fc.oneof(fc.string({ unit: fc.constantFrom(...edges), maxLength: limits.bucketBytesMax + 2 }), fc.string({ maxLength: 12 }));
    fc.assert(fc.property(nameArb, (name) => assert.equal(bucketProblem(name) === null, reference(name), JSON.stringify(name))), { numRuns: 2000 });
    for (const good of ['b', 'Bucket_1.v-2', 'x'.repeat(limits.bucketBytesMax)]) assert.equal(bucketProblem(good), null, good);
    for (const bad of ['', 'a b', 'a/b', 'é', 'x'.repeat(limits.bucketBytesMax + 1), 'a:b']) assert.match(bucketProblem(bad) ?? '', /bucket must be/, bad);
    assert.match(bucketProblem(5) ?? '', /bucket must be/);
  });

  test('a key over keyBytesMax bytes of UTF-8 is refused with its size, whatever its characters', () => {
    const unitArb = fc.constantFrom('a', '\u00e9', '\u20ac', '\ud83d\ude00', 'Z');
    fc.assert(
      fc.property(fc.string({ unit: unitArb, minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 120 }), (key, keyBytesMax) => {
        const bytes = Buffer.byteLength(key, 'utf8');
        const found = keyProblem(key, keyBytesMax);
        if (bytes > keyBytesMax) assert.deepEqual(found, { problem: `key is ${bytes} bytes; the limit is ${keyBytesMax} bytes`, bytes });
        else assert.equal(found, null);
      }),
      { numRuns: 2000 },
    );
  });
});
