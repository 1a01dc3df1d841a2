import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fnv1a64OfLong, ycsbFnvHash64 } from './fnv.ts';
import { KeyChooser, buildKeyName } from './keys.ts';
import { Xoshiro128 } from './prng.ts';

const offsetBasis = 14695981039346656037n; // 0xcbf29ce484222325
const prime = 1099511628211n; // 2^40 + 2^8 + 0xb3
const twoPow64 = 1n << 64n;

/** FNV-1a-64 written out from its definition, over the 8 little-endian bytes of a Java long. */
function referenceFnv(recordNumber: bigint): bigint {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigUint64(0, recordNumber, true);
  let hash = offsetBasis;
  for (const byte of bytes) hash = ((hash ^ BigInt(byte)) * prime) % twoPow64;
  return hash;
}

/** Java's Math.abs on the hash read as a signed long. */
function javaAbs(unsigned: bigint): bigint {
  const signed = unsigned >= 1n << 63n ? unsigned - twoPow64 : unsigned;
  return signed < 0n && signed !== -(1n << 63n) ? -signed : signed;
}

test('record 0: eight zero bytes, so the hash is basis·prime^8 mod 2^64 — the key YCSB prints', () => {
  // XOR with a zero byte changes nothing, so the loop is eight multiplications by the prime.
  const byHand = (offsetBasis * prime ** 8n) % twoPow64;
  assert.equal(fnv1a64OfLong(0n), byHand);
  // It has the sign bit set: as a Java long it is negative, and Math.abs gives 2^64 − hash.
  assert.ok(byHand >= 1n << 63n);
  assert.equal(twoPow64 - byHand, 6284781860667377211n);
  assert.equal(buildKeyName(0), 'user6284781860667377211');
});

test('record 1: the first byte is XORed into the basis before the first multiplication', () => {
  let byHand = ((offsetBasis ^ 1n) * prime) % twoPow64;
  for (let i = 0; i < 7; i++) byHand = (byHand * prime) % twoPow64;
  assert.equal(fnv1a64OfLong(1n), byHand);
  assert.equal(buildKeyName(1), `user${javaAbs(byHand)}`);
});

test('key names match the reference FNV-1a-64 with Java Math.abs for many record numbers', () => {
  const recordNumbers = [2, 3, 255, 256, 1000, 65_535, 99_999, 1_000_000, 2 ** 31 - 1, 2 ** 40 + 7, Number.MAX_SAFE_INTEGER];
  for (const n of recordNumbers) {
    const expected = javaAbs(referenceFnv(BigInt(n)));
    assert.equal(ycsbFnvHash64(n), expected, `record ${n}`);
    assert.equal(buildKeyName(n), `user${expected}`);
  }
  let sawNegativeSigned = false;
  for (let n = 0; n < 2000; n++) {
    const raw = referenceFnv(BigInt(n));
    if (raw >= 1n << 63n) sawNegativeSigned = true;
    assert.equal(ycsbFnvHash64(n), javaAbs(raw));
  }
  assert.ok(sawNegativeSigned, 'the range covered hashes with the sign bit set (the Math.abs path)');
});

test('key chooser: only loaded records, names from buildKeyName, reproducible from the seed', () => {
  const recordCount = 500;
  const first = new KeyChooser(recordCount, new Xoshiro128(99));
  const second = new KeyChooser(recordCount, new Xoshiro128(99));
  for (let i = 0; i < 5000; i++) {
    const recordNumber = first.nextRecordNumber();
    assert.ok(recordNumber >= 0 && recordNumber < recordCount);
    assert.equal(second.nextRecordNumber(), recordNumber);
  }
  assert.equal(first.keyOf(42), buildKeyName(42));
  const other = new KeyChooser(recordCount, new Xoshiro128(100));
  const draws = (chooser: KeyChooser): string => Array.from({ length: 20 }, () => chooser.nextRecordNumber()).join(',');
  assert.notEqual(draws(first), draws(other));
});
