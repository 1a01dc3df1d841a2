import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { compareBytes } from './bytes.ts';
import { SortedByteMap, sortedBlockEntriesMax } from './sorted-byte-map.ts';

type Op = { readonly set: boolean; readonly key: number; readonly value: number };

/** Keys of 1 to 2 bytes, so that some prefix others and thousands of ops collide often. */
function keyBytes(key: number): Uint8Array {
  return key < 256 ? Uint8Array.of(key) : Uint8Array.of(key >>> 8, key & 0xff);
}

function checkAgainstModel(ops: readonly Op[], from: number): void {
  const map = new SortedByteMap<number>(4);
  const model = new Map<number, number>();
  for (const op of ops) {
    if (op.set) {
      map.set(keyBytes(op.key), op.value);
      model.set(op.key, op.value);
    } else {
      assert.equal(map.delete(keyBytes(op.key)), model.delete(op.key));
    }
  }
  assert.equal(map.size, model.size);
  for (const [key, value] of model) assert.equal(map.get(keyBytes(key)), value);
  const gte = keyBytes(from);
  const expected = [...model.entries()]
    .map(([key, value]) => ({ key: keyBytes(key), value }))
    .filter((entry) => compareBytes(entry.key, gte) >= 0)
    .sort((a, b) => compareBytes(a.key, b.key));
  assert.deepStrictEqual([...map.entriesFrom(gte)], expected);
}

describe('SortedByteMap', () => {
  it('matches a Map model through block splits and emptied blocks', () => {
    // Few distinct keys (1 and 2 bytes, some prefixing others) so that ops collide and delete.
    const key = fc.oneof(fc.integer({ min: 0, max: 0xff }), fc.integer({ min: 0x100, max: 0x1ff }));
    const op = fc.record({ set: fc.boolean(), key, value: fc.nat() });
    fc.assert(fc.property(fc.array(op, { maxLength: 300, size: 'max' }), key, checkAgainstModel), { numRuns: 200 });
  });

  it('stays ordered at its real block size while keys are inserted ascending, descending and then all deleted', () => {
    const map = new SortedByteMap<number>();
    const count = sortedBlockEntriesMax * 5;
    for (let i = 0; i < count; i += 2) map.set(keyBytes(0x100 + i), i);
    for (let i = count - 1; i > 0; i -= 2) map.set(keyBytes(0x100 + i), i);
    assert.deepStrictEqual([...map.entriesFrom(new Uint8Array(0))].map((entry) => entry.value), Array.from({ length: count }, (_, i) => i));
    for (let i = 0; i < count; i++) assert.equal(map.delete(keyBytes(0x100 + i)), true);
    assert.equal(map.size, 0);
    assert.deepStrictEqual([...map.entriesFrom(new Uint8Array(0))], []);
    map.set(Uint8Array.of(1), 1);
    assert.equal(map.get(Uint8Array.of(1)), 1);
  });
});
