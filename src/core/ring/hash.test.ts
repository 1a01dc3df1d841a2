import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { isValidPartitionCount, keyHash, partitionOf, partitionOfHash } from './hash.ts';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

test('keyHash is MD5 of bucket NUL key (known answers from md5sum)', () => {
  // printf 'photos\0cat.jpg' | md5sum
  assert.equal(hex(keyHash('photos', 'cat.jpg')), '67cda3fd074b4ad8f531b742d037beaa');
  // printf 'b\0k\xc3\xa9\xe2\x82\xac' | md5sum   (key "ké€" as UTF-8)
  assert.equal(hex(keyHash('b', 'ké€')), '7feb4401ad0cde53a35bbf6f140d153a');
  assert.equal(keyHash('a', 'b').length, 16);
});

test('every key hashes to the MD5 of its own bytes, short, long or repeated', () => {
  const md5 = (bucket: string, key: string): string => createHash('md5').update(`${bucket}\u0000${key}`).digest('hex');
  const keys = Array.from({ length: 1000 }, (_, i) => `k${i}`);
  keys.push('x'.repeat(10_000), 'ké€'.repeat(100));
  for (const key of keys) assert.equal(hex(keyHash('b', key)), md5('b', key), key.slice(0, 20));
  assert.equal(keyHash('b', 'k1'), keyHash('b', 'k1'), 'the key just hashed is hashed once');
});

test('the key just hashed is answered again only for the same bucket and key', () => {
  const md5 = (bucket: string, key: string): string => createHash('md5').update(`${bucket}\u0000${key}`).digest('hex');
  // Each call differs from the one before in the bucket, the key, or both; some repeat it.
  const calls: [string, string][] = [['b', 'k1'], ['b', 'k1'], ['c', 'k1'], ['c', 'k2'], ['b', 'k2'], ['b', 'k2'], ['', ''], ['b', 'k1']];
  for (const [bucket, key] of calls) assert.equal(hex(keyHash(bucket, key)), md5(bucket, key), `${bucket}/${key}`);
});

test('the separator keeps bucket and key apart', () => {
  assert.notEqual(hex(keyHash('ab', 'c')), hex(keyHash('a', 'bc')));
  assert.notEqual(hex(keyHash('a', '')), hex(keyHash('', 'a')));
});

test('partitionOfHash takes the top log2(Q) bits', () => {
  const hash = (b0: number, b1: number): Uint8Array => Uint8Array.from([b0, b1, ...Array<number>(14).fill(0xff)]);
  assert.equal(partitionOfHash(hash(0x00, 0x00), 64), 0);
  assert.equal(partitionOfHash(hash(0xff, 0xff), 64), 63);
  assert.equal(partitionOfHash(hash(0x80, 0x00), 64), 32);
  assert.equal(partitionOfHash(hash(0b1010_0000, 0), 8), 5);
  assert.equal(partitionOfHash(hash(0x00, 0b0100_0000), 1024), 1);
  assert.equal(partitionOfHash(hash(0x12, 0x34), 1), 0);
});

test('property: partition p is the p-th equal slice of the 128-bit ring', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.integer({ min: 0, max: 10 }), (bytes, bits) => {
      const q = 2 ** bits;
      const position = BigInt(`0x${hex(bytes)}`);
      const expected = Number((position * BigInt(q)) >> 128n);
      assert.equal(partitionOfHash(bytes, q), expected);
    }),
    { numRuns: 500 },
  );
});

test('partitionOf spreads 100k keys evenly over 64 partitions (chi-square)', () => {
  const q = 64;
  const keys = 100_000;
  const counts = new Array<number>(q).fill(0);
  for (let i = 0; i < keys; i++) counts[partitionOf('bucket', `user${i}`, q)]!++;
  const expected = keys / q;
  const chiSquare = counts.reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0);
  // 63 degrees of freedom: mean 63, sd ~11.2; 130 is ~6 sd out. A hash that ignored the key's
  // tail, or took low bits of a structured value, lands in the thousands.
  assert.ok(chiSquare < 130, `chi-square ${chiSquare.toFixed(1)}`);
  assert.ok(Math.min(...counts) > expected * 0.85 && Math.max(...counts) < expected * 1.15, `counts ${counts.join(',')}`);
});

test('partitionOf agrees with partitionOfHash(keyHash)', () => {
  assert.equal(partitionOf('b', 'k', 256), partitionOfHash(keyHash('b', 'k'), 256));
});

test('isValidPartitionCount: powers of two within the limits', () => {
  for (const q of [8, 16, 64, 512, 1024]) assert.equal(isValidPartitionCount(q), true, String(q));
  for (const q of [0, 1, 4, 2048, 100, 63.5, -64, Number.NaN, Infinity]) assert.equal(isValidPartitionCount(q), false, String(q));
});

test('partitionOfHash refuses a partition count that is not a power of two', () => {
  assert.throws(() => partitionOfHash(new Uint8Array(16), 100), /power of two/);
});
