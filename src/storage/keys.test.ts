import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { KvorumError } from '../core/errors.ts';
import { compareBytes } from './bytes.ts';
import type { Entry, KeyRange, StorageEngine } from './engine.ts';
import { bucketRange, dataKey, decodeDataKey, decodeHintKey, hintKey, keyNamespace, metaKey, partitionIndexMax, partitionRange } from './keys.ts';
import { LmdbEngine } from './lmdb.ts';
import { MemoryEngine } from './memory.ts';

const partitionArbitrary = fc.integer({ min: 0, max: partitionIndexMax });
/** Any well-formed Unicode, including U+0000, U+FEFF and astral code points. */
const textArbitrary = fc.string({ unit: 'binary', maxLength: 40 });
const bucketArbitrary = fc.string({ unit: 'binary', maxLength: 20 });

function inRange(key: Uint8Array, range: KeyRange): boolean {
  return compareBytes(key, range.gte) >= 0 && compareBytes(key, range.lt) < 0;
}

describe('dataKey / decodeDataKey', () => {
  it('round-trips any partition, bucket and key', () => {
    fc.assert(
      fc.property(partitionArbitrary, bucketArbitrary, textArbitrary, (partition, bucket, key) => {
        assert.deepStrictEqual(decodeDataKey(dataKey(partition, bucket, key)), { partition, bucket, key });
      }),
    );
  });

  it('lays out namespace | partition u16 BE | bucket length | bucket | key', () => {
    assert.deepStrictEqual(dataKey(0x0102, 'ab', 'é'), Uint8Array.of(0x01, 0x01, 0x02, 2, 0x61, 0x62, 0xc3, 0xa9));
  });

  it('hands out keys of their own: a later key does not change an earlier one', () => {
    const first = dataKey(0x0102, 'ab', 'é');
    const long = dataKey(7, 'bucket', 'k'.repeat(1500));
    assert.deepStrictEqual(first, Uint8Array.of(0x01, 0x01, 0x02, 2, 0x61, 0x62, 0xc3, 0xa9));
    assert.equal(long.length, 4 + 6 + 1500);
  });

  it("keys made one after another, over many of the pool's shared slabs, never overlap: a hint key changed in place leaves its neighbours", () => {
    const made = Array.from({ length: 2000 }, (_, i) => {
      const parts = { partition: i % 64, bucket: `b${i % 7}`, key: `key-${i}-${'x'.repeat(i % 50)}` };
      const hint = i % 3 === 0;
      return { parts, hint, bytes: hint ? hintKey(parts.partition, parts.bucket, parts.key) : dataKey(parts.partition, parts.bucket, parts.key) };
    });
    assert.ok(made.reduce((bytes, { bytes: key }) => bytes + key.length, 0) > 8 * 8192, 'spans several slabs');
    for (const { parts, hint, bytes } of made) assert.deepStrictEqual(hint ? decodeHintKey(bytes) : decodeDataKey(bytes), parts);
  });

  it('refuses a lone surrogate, which UTF-8 would turn into U+FFFD', () => {
    assert.throws(() => dataKey(1, 'b', 'a\uD800'));
    assert.throws(() => dataKey(1, '\uDC00', 'k'));
    assert.deepStrictEqual(decodeDataKey(dataKey(1, 'b', '\u{1F600}')).key, '\u{1F600}');
  });

  it('keeps (bucket, key) pairs that concatenate alike apart', () => {
    assert.notDeepStrictEqual(dataKey(1, 'ab', 'c'), dataKey(1, 'a', 'bc'));
  });

  it('orders data keys by partition first', () => {
    fc.assert(
      fc.property(partitionArbitrary, partitionArbitrary, bucketArbitrary, textArbitrary, bucketArbitrary, textArbitrary, (p, q, b1, k1, b2, k2) => {
        fc.pre(p !== q);
        assert.equal(Math.sign(compareBytes(dataKey(p, b1, k1), dataKey(q, b2, k2))), Math.sign(p - q));
      }),
    );
  });

  it('refuses a partition that is not a u16 and a bucket the length byte cannot hold', () => {
    assert.throws(() => dataKey(-1, 'b', 'k'));
    assert.throws(() => dataKey(0x10000, 'b', 'k'));
    assert.throws(() => dataKey(1.5, 'b', 'k'));
    assert.throws(() => dataKey(1, 'x'.repeat(256), 'k'));
    assert.throws(() => dataKey(1, 'b', 'lone \ud800 surrogate'));
  });

  it('throws bad_key on malformed bytes', () => {
    const isBadKey = (error: unknown): boolean => error instanceof KvorumError && error.code === 'bad_key';
    const malformed = [
      new Uint8Array(0),
      Uint8Array.of(0x01, 0x00, 0x01), // header cut short
      Uint8Array.of(0x00, 0x00, 0x01, 0x00, 0x61), // meta namespace
      Uint8Array.of(0x02, 0x00, 0x01, 0x00, 0x61), // hints namespace
      Uint8Array.of(0x01, 0x00, 0x01, 0x05, 0x61), // bucket longer than the bytes left
      Uint8Array.of(0x01, 0x00, 0x01, 0x01, 0xff, 0x61), // bucket not UTF-8
      Uint8Array.of(0x01, 0x00, 0x01, 0x01, 0x61, 0xc3), // key not UTF-8
    ];
    for (const bytes of malformed) assert.throws(() => decodeDataKey(bytes), isBadKey, `accepted ${Buffer.from(bytes).toString('hex')}`);
  });
});

describe('partitionRange / bucketRange / metaKey', () => {
  it('contains a data key exactly when the key is in that partition', () => {
    fc.assert(
      fc.property(partitionArbitrary, partitionArbitrary, bucketArbitrary, textArbitrary, (p, q, bucket, key) => {
        assert.equal(inRange(dataKey(q, bucket, key), partitionRange(p)), p === q);
      }),
    );
  });

  it('ends the last partition before the hints namespace starts', () => {
    const last = partitionRange(partitionIndexMax);
    assert.ok(inRange(dataKey(partitionIndexMax, '\u{10FFFF}', '\u{10FFFF}'.repeat(10)), last));
    assert.deepStrictEqual(last.lt, Uint8Array.of(keyNamespace.hints));
  });

  it('contains a data key exactly when the key is in that bucket and partition', () => {
    fc.assert(
      fc.property(bucketArbitrary, bucketArbitrary, textArbitrary, (b1, b2, key) => {
        assert.equal(inRange(dataKey(3, b2, key), bucketRange(3, b1)), b1 === b2);
        assert.equal(inRange(dataKey(4, b1, key), bucketRange(3, b1)), false);
      }),
    );
  });

  it('puts meta keys in their own namespace, outside every partition', () => {
    const key = metaKey('incarnation');
    assert.equal(key[0], keyNamespace.meta);
    assert.ok(!inRange(key, partitionRange(0)));
    assert.throws(() => metaKey(''));
  });
});

async function collectKeys(entries: AsyncIterable<Entry>): Promise<Uint8Array[]> {
  const keys: Uint8Array[] = [];
  for await (const entry of entries) keys.push(entry.key);
  return keys;
}

/** A store holding keys of several partitions, buckets that prefix each other, and meta and hint keys. */
async function checkPartitionScans(engine: StorageEngine): Promise<void> {
  const buckets = ['a', 'ab', 'b', '\u{1F600}'];
  const written: Uint8Array[] = [];
  for (const partition of [0, 1, 2, 255, 256, partitionIndexMax]) {
    for (const bucket of buckets) {
      for (const key of ['', 'x', 'x\u0000', 'y', '\uffff']) written.push(dataKey(partition, bucket, key));
    }
  }
  const others = [metaKey('incarnation'), metaKey('ring'), Uint8Array.of(keyNamespace.hints), Uint8Array.of(keyNamespace.hints, 0, 1)];
  await engine.batch([...written, ...others].map((key) => ({ type: 'put', key, value: key })));

  for (const partition of [0, 1, 2, 3, 255, 256, partitionIndexMax]) {
    const expected = written.filter((key) => decodeDataKey(key).partition === partition).sort(compareBytes);
    assert.deepStrictEqual(await collectKeys(engine.scan(partitionRange(partition))), expected, `partition ${partition}`);
  }
  const bucketA = await collectKeys(engine.scan(bucketRange(256, 'a')));
  assert.deepStrictEqual(bucketA.map((key) => decodeDataKey(key)), ['', 'x', 'x\u0000', 'y', '\uffff'].map((key) => ({ partition: 256, bucket: 'a', key })));
}

describe('scans by partitionRange', () => {
  const root = mkdtempSync(join(tmpdir(), 'kvorum-keys-test-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  it('return only that partition’s keys in the memory engine', async () => {
    const engine = new MemoryEngine();
    await checkPartitionScans(engine);
    await engine.close();
  });

  it('return only that partition’s keys in the LMDB engine', async () => {
    const engine = await LmdbEngine.open({ path: join(root, 'lmdb') });
    try {
      await checkPartitionScans(engine);
    } finally {
      await engine.close();
    }
  });
});
