/**
 * The storage compliance suite (DESIGN §8, §11): ONE set of tests that every StorageEngine must
 * pass, so that the simulator's memory engine and the on-disk LMDB engine cannot drift apart in
 * what they accept, what they return and in which order. An engine's own test file calls
 * `runStorageCompliance` with a factory for fresh, empty engines; engines that persist also
 * pass `reopen`, which opens the same store again after `previous` was closed.
 *
 * Beside the example tests, a fast-check property drives random put / delete / batch / get /
 * scan sequences against the engine and against a naive Map model, and requires equal answers.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import fc from 'fast-check';
import { KvorumError } from '../core/errors.ts';
import { compareBytes } from './bytes.ts';
import type { Entry, KeyRange, StorageEngine, WriteOp } from './engine.ts';
import { storageKeyBytesMax } from './guards.ts';

export type OpenEngine = () => Promise<StorageEngine>;
export type ReopenEngine = (previous: StorageEngine) => Promise<StorageEngine>;

export function runStorageCompliance(name: string, open: OpenEngine, reopen?: ReopenEngine): void {
  describe(`storage compliance: ${name}`, () => {
    const context = new EngineContext(open);
    beforeEach(() => context.openFresh());
    afterEach(() => context.closeCurrent());

    describeBasics(context);
    describeKeys(context);
    describeScans(context);
    describeBatches(context);
    describeVolume(context);
    describeIsolation(context);
    describeClosing(context);
    if (reopen !== undefined) describeReopen(context, reopen);
    describeModelProperty(open);
  });
}

/** Holds the engine of the running test, so that a test may swap it (reopen) and still have it closed. */
class EngineContext {
  engine!: StorageEngine;
  constructor(private readonly open: OpenEngine) {}

  async openFresh(): Promise<void> {
    this.engine = await this.open();
  }

  async closeCurrent(): Promise<void> {
    await this.engine.close();
  }
}

function describeBasics(context: EngineContext): void {
  describe('get / put / delete', () => {
    it('returns undefined for a key never written', async () => {
      assert.equal(context.engine.get(utf8('missing')), undefined);
    });

    it('returns what was put, as a plain Uint8Array', async () => {
      await context.engine.put(utf8('k'), utf8('value'));
      assert.deepStrictEqual(context.engine.get(utf8('k')), utf8('value'));
    });

    it('overwrites a value', async () => {
      await context.engine.put(utf8('k'), utf8('first'));
      await context.engine.put(utf8('k'), utf8('second, longer'));
      await context.engine.put(utf8('k'), utf8('3'));
      assert.deepStrictEqual(context.engine.get(utf8('k')), utf8('3'));
    });

    it('deletes a key, and deleting a missing key is a no-op', async () => {
      await context.engine.put(utf8('k'), utf8('v'));
      await context.engine.put(utf8('other'), utf8('w'));
      await context.engine.delete(utf8('k'));
      await context.engine.delete(utf8('never-written'));
      assert.equal(context.engine.get(utf8('k')), undefined);
      assert.deepStrictEqual(context.engine.get(utf8('other')), utf8('w'));
    });

    it('stores an empty value, distinct from a missing key', async () => {
      await context.engine.put(utf8('empty'), new Uint8Array(0));
      assert.deepStrictEqual(context.engine.get(utf8('empty')), new Uint8Array(0));
      assert.deepStrictEqual(await collect(context.engine.scan(everything())), [{ key: utf8('empty'), value: new Uint8Array(0) }]);
    });
  });
}

function describeKeys(context: EngineContext): void {
  describe('binary keys', () => {
    it('keeps keys with 0x00 and 0xff bytes, and keys that prefix each other, apart', async () => {
      const keys = [bytes(0x00), bytes(0x00, 0x00), bytes(0xff), bytes(0xff, 0xff), bytes(0x01, 0x00, 0x02), bytes(0x01)];
      for (const [index, key] of keys.entries()) await context.engine.put(key, bytes(index));
      for (const [index, key] of keys.entries()) assert.deepStrictEqual(context.engine.get(key), bytes(index));
      assert.equal(context.engine.get(bytes(0x01, 0x00)), undefined);
    });

    it(`accepts keys of 1 to ${storageKeyBytesMax} bytes and refuses others, changing nothing`, async () => {
      const longest = new Uint8Array(storageKeyBytesMax).fill(0x61);
      await context.engine.put(longest, utf8('ok'));
      assert.deepStrictEqual(context.engine.get(longest), utf8('ok'));
      await assert.rejects(context.engine.put(new Uint8Array(0), utf8('x')));
      await assert.rejects(context.engine.put(new Uint8Array(storageKeyBytesMax + 1), utf8('x')));
      assert.throws(() => context.engine.get(new Uint8Array(0)));
      await assert.rejects(context.engine.delete(new Uint8Array(0)));
      assert.deepStrictEqual(await collectKeys(context.engine.scan(everything())), [longest]);
    });
  });
}

function describeScans(context: EngineContext): void {
  describe('scan', () => {
    it('orders by unsigned bytes, shorter first on a tie — not by string order', async () => {
      // In UTF-16 (JS string order) U+1F600 < U+FFFF; in UTF-8 bytes F0… > EF…. And a signed
      // byte comparison would put 0x80 before 0x00.
      const keys = [utf8('\u{1F600}'), utf8('\uffff'), utf8('a'), utf8('B'), bytes(0x80), bytes(0x7f), bytes(0x7f, 0x00), bytes(0x00)];
      for (const key of keys) await context.engine.put(key, key);
      const scanned = await collectKeys(context.engine.scan(everything()));
      const expected = [bytes(0x00), utf8('B'), utf8('a'), bytes(0x7f), bytes(0x7f, 0x00), bytes(0x80), utf8('\uffff'), utf8('\u{1F600}')];
      assert.deepStrictEqual(scanned, expected);
    });

    it('includes gte, excludes lt, and stops at limit', async () => {
      for (let i = 0; i < 10; i++) await context.engine.put(bytes(0x10, i), bytes(i));
      const scan = (range: KeyRange): Promise<number[]> => collectKeys(context.engine.scan(range)).then((keys) => keys.map((k) => k[1]!));
      assert.deepStrictEqual(await scan({ gte: bytes(0x10, 2), lt: bytes(0x10, 5) }), [2, 3, 4]);
      assert.deepStrictEqual(await scan({ gte: bytes(0x10, 2), lt: bytes(0x10, 9), limit: 2 }), [2, 3]);
      assert.deepStrictEqual(await scan({ gte: bytes(0x10), lt: bytes(0x11) }), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      assert.deepStrictEqual(await scan({ gte: bytes(0x10, 2, 0), lt: bytes(0x10, 3, 0) }), [3]);
      assert.deepStrictEqual(await scan({ gte: bytes(0x10), lt: bytes(0x11), limit: 0 }), []);
    });

    it('yields nothing for an empty or inverted range, and everything from an empty gte', async () => {
      await context.engine.put(bytes(0x05), bytes(1));
      await context.engine.put(bytes(0x06), bytes(2));
      assert.deepStrictEqual(await collectKeys(context.engine.scan({ gte: bytes(0x06), lt: bytes(0x06) })), []);
      assert.deepStrictEqual(await collectKeys(context.engine.scan({ gte: bytes(0x06), lt: bytes(0x05) })), []);
      assert.deepStrictEqual(await collectKeys(context.engine.scan({ gte: new Uint8Array(0), lt: bytes(0x06) })), [bytes(0x05)]);
    });

    it('yields each key once, ascending, while writes land mid-scan', async () => {
      const stable = Array.from({ length: 1500 }, (_, i) => u32(i * 2));
      await context.engine.batch(stable.map((key) => ({ type: 'put', key, value: bytes(1) })));
      const seen: Uint8Array[] = [];
      let written = 0;
      for await (const { key } of context.engine.scan(everything())) {
        seen.push(key);
        // Insert odd keys ahead of and behind the cursor, and rewrite stable ones.
        if (seen.length % 100 === 0) {
          written++;
          await context.engine.put(u32(seen.length * 2 + 301), bytes(2));
          await context.engine.put(u32(seen.length - 51), bytes(2));
          await context.engine.put(stable[(seen.length + 7) % stable.length]!, bytes(3));
        }
      }
      assert.ok(written > 10, 'the scan interleaved with writes');
      assertStrictlyAscending(seen);
      const seenSet = new Set(seen.map(hex));
      for (const key of stable) assert.ok(seenSet.has(hex(key)), `stable key ${hex(key)} was not scanned`);
    });
  });
}

function describeBatches(context: EngineContext): void {
  describe('batch', () => {
    it('applies ops in order: put then delete of a key leaves it absent, delete then put present', async () => {
      await context.engine.put(utf8('b'), utf8('old'));
      await context.engine.batch([
        { type: 'put', key: utf8('a'), value: utf8('1') },
        { type: 'delete', key: utf8('a') },
        { type: 'delete', key: utf8('b') },
        { type: 'put', key: utf8('b'), value: utf8('new') },
        { type: 'put', key: utf8('c'), value: utf8('first') },
        { type: 'put', key: utf8('c'), value: utf8('last') },
      ]);
      assert.equal(context.engine.get(utf8('a')), undefined);
      assert.deepStrictEqual(context.engine.get(utf8('b')), utf8('new'));
      assert.deepStrictEqual(context.engine.get(utf8('c')), utf8('last'));
    });

    it('is all or nothing: a batch with one bad op rejects and applies none', async () => {
      await context.engine.put(utf8('keep'), utf8('original'));
      const ops: WriteOp[] = [
        { type: 'put', key: utf8('new'), value: utf8('x') },
        { type: 'delete', key: utf8('keep') },
        { type: 'put', key: new Uint8Array(0), value: utf8('bad key') },
      ];
      await assert.rejects(context.engine.batch(ops));
      assert.equal(context.engine.get(utf8('new')), undefined);
      assert.deepStrictEqual(context.engine.get(utf8('keep')), utf8('original'));
    });

    it('accepts an empty batch', async () => {
      await context.engine.batch([]);
      assert.deepStrictEqual(await collect(context.engine.scan(everything())), []);
    });
  });
}

function describeVolume(context: EngineContext): void {
  describe('volume', () => {
    it('stores and scans 1 MiB values', async () => {
      const large = patterned(1024 * 1024, 7);
      const other = patterned(1024 * 1024 + 3, 11);
      await context.engine.put(utf8('large'), large);
      await context.engine.batch([{ type: 'put', key: utf8('larger'), value: other }]);
      assert.deepStrictEqual(context.engine.get(utf8('large')), large);
      assert.deepStrictEqual(await collect(context.engine.scan(everything())), [
        { key: utf8('large'), value: large },
        { key: utf8('larger'), value: other },
      ]);
    });

    it('scans 10k keys in order, through many chunks, and resumes a limited scan exactly', async () => {
      const keys = shuffled(Array.from({ length: 10_000 }, (_, i) => u32(i * 7919)));
      const [viaBatch, viaPuts] = [keys.slice(0, 5_000), keys.slice(5_000)];
      await context.engine.batch(viaBatch.map((key) => ({ type: 'put', key, value: key })));
      await Promise.all(viaPuts.map((key) => context.engine.put(key, key)));
      const scanned = await collect(context.engine.scan(everything()));
      assert.equal(scanned.length, 10_000);
      assertStrictlyAscending(scanned.map((entry) => entry.key));
      for (const entry of scanned) assert.deepStrictEqual(entry.value, entry.key);
      const middle = await collectKeys(context.engine.scan({ gte: u32(5_000 * 7919), lt: u32(0xffffffff), limit: 1_234 }));
      assert.deepStrictEqual(middle, scanned.slice(5_000, 6_234).map((entry) => entry.key));
    });

    it('lands every one of many concurrent puts to different keys', async () => {
      const keys = Array.from({ length: 300 }, (_, i) => utf8(`concurrent-${i}`));
      await Promise.all(keys.map((key, i) => context.engine.put(key, u32(i))));
      for (const [i, key] of keys.entries()) assert.deepStrictEqual(context.engine.get(key), u32(i));
    });
  });
}

function describeIsolation(context: EngineContext): void {
  describe('isolation of bytes', () => {
    it('is not changed by a caller mutating the buffers it passed, even before the write resolves', async () => {
      const key = utf8('k1');
      const value = utf8('original');
      const batchValue = utf8('batched');
      const written = context.engine.put(key, value);
      const batched = context.engine.batch([{ type: 'put', key: utf8('k2'), value: batchValue }]);
      key.fill(0x7a);
      value.fill(0x7a);
      batchValue.fill(0x7a);
      await Promise.all([written, batched]);
      assert.deepStrictEqual(context.engine.get(utf8('k1')), utf8('original'));
      assert.deepStrictEqual(context.engine.get(utf8('k2')), utf8('batched'));
      assert.equal(context.engine.get(key), undefined);
    });

    it('is not changed by a caller mutating buffers it received from get or scan', async () => {
      await context.engine.put(utf8('k'), utf8('original'));
      (context.engine.get(utf8('k')))!.fill(0x7a);
      for await (const entry of context.engine.scan(everything())) {
        entry.key.fill(0x7a);
        entry.value.fill(0x7a);
      }
      assert.deepStrictEqual(await collect(context.engine.scan(everything())), [{ key: utf8('k'), value: utf8('original') }]);
    });
  });
}

function describeClosing(context: EngineContext): void {
  describe('close', () => {
    it('makes every later call reject with an unavailable error, and may be repeated', async () => {
      await context.engine.put(utf8('k'), utf8('v'));
      await context.engine.close();
      await context.engine.close();
      const isClosedError = (error: unknown): boolean =>
        error instanceof KvorumError && error.code === 'unavailable' && /closed/.test(error.message);
      assert.throws(() => context.engine.get(utf8('k')), isClosedError);
      await assert.rejects(context.engine.put(utf8('k'), utf8('v')), isClosedError);
      await assert.rejects(context.engine.delete(utf8('k')), isClosedError);
      await assert.rejects(context.engine.batch([{ type: 'delete', key: utf8('k') }]), isClosedError);
      await assert.rejects(collect(context.engine.scan(everything())), isClosedError);
    });

    it('ends a scan that is in progress with the same error', async () => {
      await context.engine.batch(Array.from({ length: 2_000 }, (_, i) => ({ type: 'put' as const, key: u32(i), value: bytes(1) })));
      const seen: Uint8Array[] = [];
      const scanning = (async () => {
        for await (const { key } of context.engine.scan(everything())) {
          seen.push(key);
          if (seen.length === 10) await context.engine.close();
        }
      })();
      await assert.rejects(scanning, (error: unknown) => error instanceof KvorumError && error.code === 'unavailable');
      assert.ok(seen.length < 2_000, 'the scan stopped early');
    });
  });
}

function describeReopen(context: EngineContext, reopen: ReopenEngine): void {
  describe('durability across close and reopen', () => {
    it('keeps every write, batch and delete', async () => {
      await context.engine.put(utf8('a'), utf8('1'));
      await context.engine.put(utf8('b'), utf8('2'));
      await context.engine.batch([
        { type: 'put', key: utf8('c'), value: patterned(100_000, 3) },
        { type: 'delete', key: utf8('a') },
      ]);
      await context.engine.put(utf8('b'), utf8('2 again'));
      const before = await collect(context.engine.scan(everything()));
      await context.engine.close();
      context.engine = await reopen(context.engine);
      assert.deepStrictEqual(await collect(context.engine.scan(everything())), before);
      assert.equal(context.engine.get(utf8('a')), undefined);
    });

    it('keeps writes still in flight when close was called', async () => {
      const inFlight = Array.from({ length: 50 }, (_, i) => context.engine.put(u32(i), u32(i)));
      await context.engine.close();
      await Promise.all(inFlight);
      context.engine = await reopen(context.engine);
      assert.equal((await collect(context.engine.scan(everything()))).length, 50);
    });
  });
}

// --- the model property -------------------------------------------------------------------

type ModelOp =
  | { readonly type: 'put'; readonly key: Uint8Array; readonly value: Uint8Array }
  | { readonly type: 'delete'; readonly key: Uint8Array }
  | { readonly type: 'batch'; readonly ops: readonly WriteOp[] }
  | { readonly type: 'get'; readonly key: Uint8Array }
  | { readonly type: 'scan'; readonly range: KeyRange };

/** Few distinct bytes and short keys, so that ops collide, prefix each other and straddle 0x80. */
const keyArbitrary = fc
  .array(fc.constantFrom(0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff), { minLength: 1, maxLength: 3 })
  .map((array) => Uint8Array.from(array));
const boundArbitrary = fc.oneof(keyArbitrary, fc.constant(new Uint8Array(0)), fc.constant(bytes(0xff, 0xff, 0xff, 0xff)));
const valueArbitrary = fc.uint8Array({ maxLength: 8 });
const writeOpArbitrary: fc.Arbitrary<WriteOp> = fc.oneof(
  fc.record({ type: fc.constant('put' as const), key: keyArbitrary, value: valueArbitrary }),
  fc.record({ type: fc.constant('delete' as const), key: keyArbitrary }),
);
const modelOpArbitrary: fc.Arbitrary<ModelOp> = fc.oneof(
  { arbitrary: writeOpArbitrary, weight: 4 },
  { arbitrary: fc.record({ type: fc.constant('batch' as const), ops: fc.array(writeOpArbitrary, { maxLength: 6 }) }), weight: 2 },
  { arbitrary: fc.record({ type: fc.constant('get' as const), key: keyArbitrary }), weight: 1 },
  {
    arbitrary: fc.record({
      type: fc.constant('scan' as const),
      range: fc.record({ gte: boundArbitrary, lt: boundArbitrary, limit: fc.option(fc.nat({ max: 6 }), { nil: undefined }) }),
    }),
    weight: 2,
  },
);

function describeModelProperty(open: OpenEngine): void {
  describe('against a Map model', () => {
    it('answers every random sequence of put / delete / batch / get / scan like the model', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(modelOpArbitrary, { maxLength: 30, size: 'max' }), async (ops) => {
          const engine = await open();
          try {
            await checkAgainstModel(engine, ops);
          } finally {
            await engine.close();
          }
        }),
        { numRuns: 60 },
      );
    });
  });
}

async function checkAgainstModel(engine: StorageEngine, ops: readonly ModelOp[]): Promise<void> {
  const model = new Map<string, Entry>();
  for (const op of ops) {
    switch (op.type) {
      case 'put':
      case 'delete':
        await (op.type === 'put' ? engine.put(op.key, op.value) : engine.delete(op.key));
        applyToModel(model, op);
        break;
      case 'batch':
        await engine.batch(op.ops);
        for (const writeOp of op.ops) applyToModel(model, writeOp);
        break;
      case 'get':
        assert.deepStrictEqual(engine.get(op.key), model.get(hex(op.key))?.value);
        break;
      case 'scan':
        assert.deepStrictEqual(await collect(engine.scan(op.range)), scanModel(model, op.range));
        break;
    }
  }
  assert.deepStrictEqual(await collect(engine.scan(everything())), scanModel(model, everything()));
}

function applyToModel(model: Map<string, Entry>, op: WriteOp): void {
  if (op.type === 'put') model.set(hex(op.key), { key: op.key.slice(), value: op.value.slice() });
  else model.delete(hex(op.key));
}

function scanModel(model: Map<string, Entry>, range: KeyRange): Entry[] {
  const inRange = [...model.values()]
    .filter((entry) => compareBytes(entry.key, range.gte) >= 0 && compareBytes(entry.key, range.lt) < 0)
    .sort((a, b) => compareBytes(a.key, b.key));
  return inRange.slice(0, range.limit ?? inRange.length);
}

// --- helpers ------------------------------------------------------------------------------

/** Every key these tests write (all but a key of storageKeyBytesMax 0xff bytes, which they never use). */
function everything(): KeyRange {
  return { gte: new Uint8Array(0), lt: new Uint8Array(storageKeyBytesMax).fill(0xff) };
}

function bytes(...values: number[]): Uint8Array {
  return Uint8Array.from(values);
}

function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

function u32(value: number): Uint8Array {
  const result = new Uint8Array(4);
  new DataView(result.buffer).setUint32(0, value);
  return result;
}

function hex(key: Uint8Array): string {
  return Buffer.from(key).toString('hex');
}

function patterned(length: number, seed: number): Uint8Array {
  const result = new Uint8Array(length);
  for (let i = 0; i < length; i++) result[i] = (i * seed + (i >>> 8)) & 0xff;
  return result;
}

/** A fixed pseudo-random permutation (so failures reproduce). */
function shuffled<T>(items: T[]): T[] {
  const result = items.slice();
  let state = 0x9e3779b9;
  for (let i = result.length - 1; i > 0; i--) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    const j = state % (i + 1);
    [result[i], result[j]] = [result[j]!, result[i]!];
  }
  return result;
}

async function collect(entries: AsyncIterable<Entry>): Promise<Entry[]> {
  const result: Entry[] = [];
  for await (const entry of entries) result.push(entry);
  return result;
}

async function collectKeys(entries: AsyncIterable<Entry>): Promise<Uint8Array[]> {
  return (await collect(entries)).map((entry) => entry.key);
}

function assertStrictlyAscending(keys: readonly Uint8Array[]): void {
  for (let i = 1; i < keys.length; i++) {
    assert.ok(compareBytes(keys[i - 1]!, keys[i]!) < 0, `keys ${hex(keys[i - 1]!)} and ${hex(keys[i]!)} are out of order`);
  }
}
