import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Unpackr } from 'msgpackr';
import { encodeObject } from './codec.ts';
import { ObjectBodyError, readObjectBody } from './object-reader.ts';
import type { StoredObject } from './types.ts';

/** msgpack pieces written by hand, in whichever width a test asks for. */
const be = (value: number, bytes: number): number[] => Array.from({ length: bytes }, (_, i) => Math.floor(value / 256 ** (bytes - 1 - i)) % 256);
const float = (value: number, bytes: 4 | 8): number[] => {
  const view = new DataView(new ArrayBuffer(bytes));
  if (bytes === 4) view.setFloat32(0, value);
  else view.setFloat64(0, value);
  return [...new Uint8Array(view.buffer)];
};
const str = (text: string, header: 'fix' | 8 | 16 | 32 = 'fix'): number[] => {
  const bytes = [...Buffer.from(text)];
  if (header === 'fix') return [0xa0 | bytes.length, ...bytes];
  const type = header === 8 ? 0xd9 : header === 16 ? 0xda : 0xdb;
  return [type, ...be(bytes.length, header / 8), ...bytes];
};
const bin = (bytes: number[], header: 8 | 16 | 32 = 8): number[] => [header === 8 ? 0xc4 : header === 16 ? 0xc5 : 0xc6, ...be(bytes.length, header / 8), ...bytes];
const array = (length: number, header: 'fix' | 16 | 32 = 'fix'): number[] =>
  header === 'fix' ? [0x90 | length] : header === 16 ? [0xdc, ...be(length, 2)] : [0xdd, ...be(length, 4)];

/** A body of one sibling and one clock entry, its counter written as `counter`'s bytes. */
function body(counter: number[], options: { actor?: number[]; value?: number[]; header?: 'fix' | 16 | 32 } = {}): Uint8Array {
  const actor = options.actor ?? str('n1');
  const sibling = [...array(6, options.header), ...actor, ...counter, ...(options.value ?? bin([7, 8])), ...str('text/plain'), ...be(5, 1), 0xc3];
  const entry = [...array(3, options.header), ...actor, ...counter, 0xcb, ...float(1_700_000_000_000, 8)];
  return Uint8Array.from([...array(3, options.header), ...array(1, options.header), ...sibling, ...array(1, options.header), ...entry, ...array(0, options.header)]);
}

describe('object reader', () => {
  test('reads a number in every msgpack width, signed or not, integer or float', () => {
    const widths: Array<[string, number[], number]> = [
      ['positive fixint', [5], 5],
      ['uint8', [0xcc, 200], 200],
      ['uint16', [0xcd, ...be(60_000, 2)], 60_000],
      ['uint32', [0xce, ...be(4_000_000_000, 4)], 4_000_000_000],
      ['uint64', [0xcf, ...be(2 ** 40 + 3, 8)], 2 ** 40 + 3],
      ['negative fixint', [0xfd], -3],
      ['int8', [0xd0, 0x80], -128],
      ['int16', [0xd1, 0xff, 0x38], -200],
      ['int32', [0xd2, ...be(2 ** 32 - 70_000, 4)], -70_000],
      ['int64', [0xd3, ...be(2 ** 32 - 1, 4), ...be(2 ** 32 - 9, 4)], -9],
      ['int64, positive', [0xd3, 0, 0, 0, 1, 0, 0, 0, 2], 2 ** 32 + 2],
      ['float32', [0xca, ...float(1.5, 4)], 1.5],
      ['float64', [0xcb, ...float(2 ** 45 + 1, 8)], 2 ** 45 + 1],
    ];
    for (const [name, bytes, expected] of widths) {
      const object = readObjectBody(body(bytes), 0);
      assert.equal(object.siblings[0]!.dot[1], expected, name);
      assert.equal(object.context.clock[0]![1], expected, name);
      assert.equal(object.context.clock[0]![2], 1_700_000_000_000, name);
    }
  });

  test('reads every header of strings, bytes and arrays', () => {
    for (const header of [8, 16, 32] as const) {
      const object = readObjectBody(body([1], { actor: str('n1', header), value: bin([1, 2, 3], header) }), 0);
      assert.equal(object.siblings[0]!.dot[0], 'n1');
      assert.deepEqual(object.siblings[0]!.value, Uint8Array.of(1, 2, 3));
    }
    for (const header of [16, 32] as const) assert.equal(readObjectBody(body([1], { header }), 0).siblings.length, 1);
  });

  test('reads what the encoder writes exactly as a general msgpack decoder does', () => {
    const unpackr = new Unpackr({ useRecords: false });
    const actorArb = fc.oneof(
      fc.string({ minLength: 1, maxLength: 40 }),
      fc.string({ minLength: 1, maxLength: 90, unit: 'grapheme' }),
      fc.string({ minLength: 1, maxLength: 6, unit: fc.constantFrom('\uFEFF', 'a', '\u00e9', '\ud83d\ude00') }),
    );
    const siblingArb = fc.record({
      dot: fc.tuple(actorArb, fc.nat()),
      value: fc.uint8Array({ maxLength: 300 }),
      contentType: fc.string({ maxLength: 80 }),
      lastModifiedMs: fc.oneof(fc.nat(), fc.integer({ min: 2 ** 32, max: 2 ** 50 })),
      deleted: fc.boolean(),
    });
    const entryArb = fc.tuple(actorArb, fc.nat(), fc.oneof(fc.nat(), fc.integer({ min: 2 ** 32, max: 2 ** 50 })));
    const shapeArb = fc.record({ siblings: fc.array(siblingArb, { maxLength: 20 }), context: fc.record({ clock: fc.array(entryArb, { maxLength: 20 }), dots: fc.array(fc.tuple(actorArb, fc.nat()), { maxLength: 5 }) }) });
    fc.assert(
      fc.property(shapeArb, (shape) => {
        // Not a valid object (nothing sorted or covered): the reader reads shapes, the caller checks them.
        const bytes = encodeObject(shape as unknown as StoredObject);
        const [siblings, clock, dots] = unpackr.unpack(bytes.subarray(1)) as [unknown[][], unknown[], unknown[]];
        const read = readObjectBody(bytes, 1);
        assert.deepStrictEqual(
          read.siblings.map((s) => [s.dot[0], s.dot[1], Buffer.from(s.value), s.contentType, s.lastModifiedMs, s.deleted]),
          siblings.map(([actor, counter, value, contentType, lastModifiedMs, deleted]) => [actor, counter, Buffer.from(value as Uint8Array), contentType, lastModifiedMs, deleted]),
        );
        assert.deepStrictEqual(read.context, { clock, dots });
      }),
      { numRuns: 300 },
    );
  });

  test('strings from its cache are always the bytes read: thousands of actors, more than it has slots, in turn', () => {
    const actors = Array.from({ length: 3000 }, (_, i) => `node-${i % 7}@${(i * 2654435761) % 100_000}`);
    for (let round = 0; round < 3; round++) {
      for (const actor of actors) assert.equal(readObjectBody(body([1], { actor: str(actor, 8) }), 0).siblings[0]!.dot[0], actor);
    }
  });

  test('a leading U+FEFF is part of a string, not a byte-order mark to drop', () => {
    for (const actor of ['\uFEFF', '\uFEFFa', 'a\uFEFF']) {
      assert.equal(readObjectBody(body([1], { actor: str(actor) }), 0).siblings[0]!.dot[0], actor);
      assert.equal(readObjectBody(body([1], { actor: str(actor, 8) }), 0).context.clock[0]![0], actor, 'read twice, through the cache or not');
    }
  });

  test('names the field whose type is wrong, and refuses bytes cut short or left over', () => {
    assert.throws(() => readObjectBody(body([0xc3]), 0), (error: unknown) => error instanceof ObjectBodyError && /counter must be a number, found msgpack type 0xc3/.test(error.message));
    assert.throws(() => readObjectBody(body([1], { actor: [0x01] }), 0), /actor must be a string/);
    assert.throws(() => readObjectBody(body([1], { value: str('v') }), 0), /value must be bytes/);
    const whole = body([1]);
    assert.throws(() => readObjectBody(whole.subarray(0, whole.length - 1), 0), /cut short/);
    assert.throws(() => readObjectBody(Uint8Array.from([...whole, 0]), 0), /1 more byte\(s\) after the object/);
    assert.throws(() => readObjectBody(Uint8Array.from([0x94, ...whole.subarray(1)]), 0), /must be \[siblings, clock, dots\]/);
  });
});
