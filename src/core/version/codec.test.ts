import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { KvorumError } from '../errors.ts';
import { limits } from '../limits.ts';
import { addDot, emptyContext } from './causal-context.ts';
import { decodeObject, encodeObject, objectFormatVersion } from './codec.ts';
import { assertStoredObject, coordinateWrite } from './object.ts';
import type { CausalContext, StoredObject, WriteIntent } from './types.ts';

const packr = new Packr({ useRecords: false });
const withVersion = (body: unknown, version = objectFormatVersion): Uint8Array => Buffer.concat([Buffer.from([version]), packr.pack(body)]);

function isCorrupt(error: unknown): boolean {
  return error instanceof KvorumError && error.code === 'internal' && error.message.startsWith('stored object is corrupt: ');
}

/** Objects as replicas make them: puts with and without contexts, deletes, contexts with gaps. */
const writeArb = fc.record({
  actor: fc.constantFrom('n1', 'n2', 'node-3@e7', 'ñ∂é'),
  value: fc.uint8Array({ maxLength: 64 }),
  contentType: fc.string({ maxLength: 12, unit: 'grapheme' }),
  deleted: fc.boolean(),
  context: fc.constantFrom('none', 'stored', 'ahead'),
  nowMs: fc.nat(2 ** 42),
});
const objectArb: fc.Arbitrary<StoredObject> = fc.array(writeArb, { minLength: 1, maxLength: 16 }).map((writes) => {
  let object: StoredObject | null = null;
  for (const write of writes) {
    const context: CausalContext | null =
      write.context === 'stored' ? (object?.context ?? null) : write.context === 'ahead' ? addDot(emptyContext, ['far', 9], 1) : null;
    const intent: WriteIntent = { value: write.value, contentType: write.contentType, deleted: write.deleted, context };
    object = coordinateWrite(object, intent, write.actor, write.nowMs, 'siblings').object;
  }
  return object!;
});

describe('object codec', () => {
  test('round-trips every object exactly, values as plain Uint8Arrays', () => {
    fc.assert(
      fc.property(objectArb, (object) => {
        const bytes = encodeObject(object);
        assert.equal(bytes[0], objectFormatVersion);
        const decoded = decodeObject(bytes);
        assert.deepStrictEqual(decoded, object);
        for (const sibling of decoded.siblings) assert.equal(Object.getPrototypeOf(sibling.value), Uint8Array.prototype);
      }),
    );
  });

  test('equal objects encode to equal bytes', () => {
    fc.assert(fc.property(objectArb, (object) => assert.deepEqual(encodeObject(structuredClone(object)), encodeObject(object))));
  });

  test('round-trips values from empty to valueBytesMax', () => {
    for (const size of [0, 10 * 1024, limits.valueBytesMax]) {
      const value = new Uint8Array(size).map((_, i) => i % 251);
      const object = coordinateWrite(null, { value, contentType: 'application/octet-stream', deleted: false, context: null }, 'n1', 5, 'siblings').object;
      assert.deepStrictEqual(decodeObject(encodeObject(object)), object);
    }
  });

  test('decoded values are views of the bytes, not copies, and the bytes are the object\'s encoding from then on', () => {
    // The contract: bytes given to decodeObject never change again (they become the encoding).
    const object = coordinateWrite(null, { value: new Uint8Array([1, 2, 3]), contentType: 'a/b', deleted: false, context: null }, 'n1', 5, 'siblings').object;
    const bytes = new Uint8Array(encodeObject(object));
    const decoded = decodeObject(bytes);
    assert.equal(decoded.siblings[0]!.value.buffer, bytes.buffer, 'a view, no copy');
    assert.deepEqual(decoded.siblings[0]!.value, new Uint8Array([1, 2, 3]));
    assert.equal(encodeObject(decoded), bytes, 'encoding it again gives the very bytes it came from');
    assert.deepStrictEqual(Object.keys(decoded), ['siblings', 'context'], 'the remembered encoding is not a visible field');
    assert.deepStrictEqual(Object.getOwnPropertySymbols(decoded), [], 'nor a symbol');
    assert.deepStrictEqual(decoded, { siblings: decoded.siblings, context: decoded.context }, 'equal to a plain copy');
    // A copy never carries the original's bytes: encoding one that changed gives its own.
    const changed = { ...decoded, siblings: decoded.siblings.map((sibling) => ({ ...sibling, contentType: 'c/d' })) };
    assert.equal(decodeObject(encodeObject(changed)).siblings[0]!.contentType, 'c/d');
    assert.notEqual(encodeObject({ ...decoded }), bytes, 'a spread copy is encoded anew');
  });

  test('a frozen object is encoded, and encoded again each time (it cannot keep its bytes)', () => {
    const object = coordinateWrite(null, { value: new Uint8Array([4]), contentType: 'a/b', deleted: false, context: null }, 'n1', 5, 'siblings').object;
    const frozen = Object.freeze({ siblings: object.siblings, context: object.context });
    const first = encodeObject(frozen);
    assert.deepStrictEqual(decodeObject(first), object);
    const second = encodeObject(frozen);
    assert.deepStrictEqual(second, first);
    assert.notEqual(second, first, 'new bytes: the frozen object kept none');
  });

  test('decodes from a view in the middle of a larger buffer, and Buffer values', () => {
    const object = coordinateWrite(null, { value: Buffer.from('hello'), contentType: 'text/plain', deleted: false, context: null }, 'n1', 5, 'siblings').object;
    const encoded = encodeObject(object);
    const big = new Uint8Array(encoded.length + 20);
    big.set(encoded, 7);
    const decoded = decodeObject(big.subarray(7, 7 + encoded.length));
    assert.deepStrictEqual(decoded.siblings[0]!.value, new Uint8Array(Buffer.from('hello')));
  });

  const valid = [[['n1', 1, new Uint8Array([7]), 'text/plain', 5, false]], [['n1', 1, 5]], []];
  const corrupt: Array<[string, Uint8Array, RegExp]> = [
    ['no bytes', new Uint8Array(), /no bytes/],
    ['an unknown format version', withVersion(valid, 2), /unknown format version 2/],
    ['garbage after the version byte', new Uint8Array([objectFormatVersion, 0xd9]), /the body must be an array, found msgpack type 0xd9/],
    ['trailing bytes', Buffer.concat([withVersion(valid), Buffer.from([0])]), /1 more byte\(s\) after the object/],
    ['a body cut short', withVersion(valid).subarray(0, 9), /cut short/],
    ['a body that is not an array', withVersion({ siblings: [] }), /the body must be an array/],
    ['a body that is not [siblings, clock, dots]', withVersion([[], []]), /must be \[siblings, clock, dots\]/],
    ['siblings that are not an array', withVersion([5, [], []]), /siblings must be an array/],
    ['a sibling of five fields', withVersion([[['n1', 1, new Uint8Array(), 'x', 5]], [['n1', 1, 5]], []]), /sibling 0 must be/],
    ['a value that is not bytes', withVersion([[['n1', 1, 'text', 'x', 5, false]], [['n1', 1, 5]], []]), /value must be bytes/],
    ['deleted that is not a boolean', withVersion([[['n1', 1, new Uint8Array(), 'x', 5, 0]], [['n1', 1, 5]], []]), /deleted must be a boolean/],
    ['a negative lastModifiedMs', withVersion([[['n1', 1, new Uint8Array(), 'x', -5, false]], [['n1', 1, 5]], []]), /lastModifiedMs/],
    ['a sibling the context does not cover', withVersion([[['n1', 2, new Uint8Array(), 'x', 5, false]], [['n1', 1, 5]], []]), /not covered/],
    [
      'unsorted siblings',
      withVersion([[['n2', 1, new Uint8Array(), 'x', 5, false], ['n1', 1, new Uint8Array(), 'x', 5, false]], [['n1', 1, 5], ['n2', 1, 5]], []]),
      /sorted by dot/,
    ],
    ['a context that is not canonical', withVersion([[], [['n1', 1, 5]], [['n1', 2]]]), /must be folded/],
  ];
  for (const [name, bytes, message] of corrupt) {
    test(`refuses ${name} with an internal error naming it`, () => {
      assert.throws(() => decodeObject(bytes), (error: unknown) => isCorrupt(error) && message.test((error as Error).message));
    });
  }

  test('refuses every truncation of a valid encoding', () => {
    fc.assert(
      fc.property(objectArb, (object) => {
        const bytes = encodeObject(object);
        for (let length = 0; length < bytes.length; length++) assert.throws(() => decodeObject(bytes.subarray(0, length)), isCorrupt);
      }),
      { numRuns: 30 },
    );
  });

  test('never crashes on random or mutated bytes', () => {
    const decodesOrRefuses = (bytes: Uint8Array) => {
      try {
        assertStoredObject(decodeObject(bytes));
      } catch (error) {
        assert.ok(isCorrupt(error), `unexpected ${String(error)}`);
      }
    };
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => decodesOrRefuses(Buffer.concat([Buffer.from([1]), bytes]))), { numRuns: 1000 });
    fc.assert(
      fc.property(objectArb, fc.nat(), fc.nat(255), (object, at, byte) => {
        const bytes = new Uint8Array(encodeObject(object));
        bytes[at % bytes.length] = byte;
        decodesOrRefuses(bytes);
      }),
      { numRuns: 1000 },
    );
  });
});
