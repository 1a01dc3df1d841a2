import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { metaKey } from './keys.ts';
import { MemoryEngine } from './memory.ts';
import { walCutMetaName, WriteAheadLog } from './write-ahead-log.ts';
import { WriteBuffer, type WriteBufferOptions } from './write-buffer.ts';
import type { Entry } from './engine.ts';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (value: Uint8Array | undefined): string | undefined => (value === undefined ? undefined : new TextDecoder().decode(value));

/** A memory engine that counts its commits and can be held before committing. */
function countingEngine() {
  const engine = new MemoryEngine();
  const batches: number[] = [];
  let gate: Promise<void> = Promise.resolve();
  let failures = 0;
  const batch = engine.batch.bind(engine);
  engine.batch = async (ops) => {
    await gate;
    if (failures > 0) {
      failures--;
      throw new Error('disk failed');
    }
    batches.push(ops.length);
    return batch(ops);
  };
  return {
    engine,
    batches,
    hold(): () => void {
      let release!: () => void;
      gate = new Promise((resolve) => (release = resolve));
      return release;
    },
    failNext(count = 1): void {
      failures = count;
    },
  };
}

async function collect(entries: AsyncIterable<Entry>): Promise<string[]> {
  const keys: string[] = [];
  for await (const entry of entries) keys.push(`${text(entry.key)}=${text(entry.value)}`);
  return keys;
}

describe('WriteBuffer (Dynamo §6.1 object buffer)', () => {
  test('a write is read back at once, and is on the engine only after a commit', async () => {
    const { engine } = countingEngine();
    const buffer = new WriteBuffer(engine, { flushIntervalMs: 60_000, bytesMax: 1 << 20 });
    buffer.write([{ type: 'put', key: bytes('a'), value: bytes('1') }]);
    assert.equal(text(buffer.get(bytes('a'))), '1');
    assert.equal(engine.get(bytes('a')), undefined);
    await buffer.flushed();
    assert.equal(text(engine.get(bytes('a'))), '1');
    buffer.write([{ type: 'delete', key: bytes('a') }]);
    assert.equal(buffer.get(bytes('a')), undefined, 'a buffered delete hides what is on disk');
    await buffer.flushed();
    assert.equal(engine.get(bytes('a')), undefined);
  });

  test('keys are told apart by every byte: zeros, bytes above 0x7f, views into a shared buffer', async () => {
    const { engine } = countingEngine();
    const buffer = new WriteBuffer(engine, { flushIntervalMs: 60_000, bytesMax: 1 << 20 });
    // Not valid UTF-8, and views at offsets into one buffer, as the node's pooled keys are.
    const shared = Buffer.from([0x09, 0xff, 0x00, 0xfe, 0x80, 0xc3, 0x28, 0x00, 0x00]);
    const keys = [shared.subarray(1, 2), shared.subarray(3, 4), shared.subarray(4, 5), shared.subarray(5, 7), shared.subarray(2, 3), shared.subarray(7, 9), shared.subarray(1, 3)];
    keys.forEach((key, i) => buffer.write([{ type: 'put', key: new Uint8Array(key.buffer, key.byteOffset, key.length), value: bytes(String(i)) }]));
    keys.forEach((key, i) => assert.equal(text(buffer.get(new Uint8Array(key))), String(i), `key ${i}`));
    assert.equal(buffer.pendingCount, keys.length);
    await buffer.close();
  });

  test('writes made while a commit runs go together into the next commit (group commit)', async () => {
    const { engine, batches, hold } = countingEngine();
    const buffer = new WriteBuffer(engine, { flushIntervalMs: 60_000, bytesMax: 1 << 20 });
    const release = hold();
    buffer.write([{ type: 'put', key: bytes('first'), value: bytes('1') }]);
    const first = buffer.flushed();
    await new Promise((resolve) => setImmediate(resolve)); // the first commit starts and waits
    const waits: Promise<void>[] = [];
    for (let i = 0; i < 50; i++) {
      buffer.write([{ type: 'put', key: bytes(`k${i}`), value: bytes(String(i)) }]);
      waits.push(buffer.flushed());
    }
    assert.equal(text(buffer.get(bytes('first'))), '1', 'the commit in flight is still read from the buffer');
    release();
    await Promise.all([first, ...waits]);
    assert.deepEqual(batches, [1, 50]);
  });

  test('a busy node holds a commit for the group-commit window, so later writes join it; an idle one commits at once', async () => {
    const { engine, batches } = countingEngine();
    let busy = true;
    const buffer = new WriteBuffer(engine, { flushIntervalMs: 60_000, bytesMax: 1 << 20, groupCommitWindowMs: 30, busy: () => busy });
    buffer.write([{ type: 'put', key: bytes('a'), value: bytes('1') }]);
    const first = buffer.flushed();
    await new Promise((resolve) => setTimeout(resolve, 5));
    assert.deepEqual(batches, [], 'held while the window is open');
    buffer.write([{ type: 'put', key: bytes('b'), value: bytes('2') }]);
    const second = buffer.flushed();
    await Promise.all([first, second]);
    assert.deepEqual(batches, [2], 'both writes in one commit');
    busy = false;
    const idle = new WriteBuffer(engine, { flushIntervalMs: 60_000, bytesMax: 1 << 20, groupCommitWindowMs: 60_000, busy: () => busy });
    idle.write([{ type: 'put', key: bytes('c'), value: bytes('3') }]);
    const committed = await Promise.race([idle.flushed().then(() => 'committed'), new Promise((resolve) => setTimeout(() => resolve('held'), 5_000))]);
    assert.equal(committed, 'committed', 'an idle node does not hold its commit for the (minute-long) window');
    assert.deepEqual(batches, [2, 1]);
  });

  test('without a waiter, the writer commits once the interval has passed', async () => {
    const { engine, batches } = countingEngine();
    const buffer = new WriteBuffer(engine, { flushIntervalMs: 20, bytesMax: 1 << 20 });
    buffer.write([{ type: 'put', key: bytes('a'), value: bytes('1') }]);
    buffer.write([{ type: 'put', key: bytes('b'), value: bytes('2') }]);
    await new Promise((resolve) => setTimeout(resolve, 5));
    assert.deepEqual(batches, []);
    await new Promise((resolve) => setTimeout(resolve, 60));
    assert.deepEqual(batches, [2]);
    assert.equal(text(engine.get(bytes('b'))), '2');
  });

  test('past bytesMax the writer commits without waiting for the interval', async () => {
    const { engine, batches } = countingEngine();
    const buffer = new WriteBuffer(engine, { flushIntervalMs: 60_000, bytesMax: 100 });
    buffer.write([{ type: 'put', key: bytes('big'), value: new Uint8Array(200) }]);
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.deepEqual(batches, [1]);
  });

  test('a failed commit loses nothing: its writes go with the next one, behind newer writes of the same key', async () => {
    const { engine, failNext } = countingEngine();
    const buffer = new WriteBuffer(engine, { flushIntervalMs: 60_000, bytesMax: 1 << 20, onCommitError: () => {} });
    failNext();
    buffer.write([
      { type: 'put', key: bytes('a'), value: bytes('old') },
      { type: 'put', key: bytes('b'), value: bytes('kept') },
    ]);
    const failed = buffer.flushed();
    await assert.rejects(failed, /disk failed/);
    buffer.write([{ type: 'put', key: bytes('a'), value: bytes('new') }]);
    await buffer.flushed();
    assert.equal(text(engine.get(bytes('a'))), 'new');
    assert.equal(text(engine.get(bytes('b'))), 'kept');
  });

  test('a batch reaches the disk whole, never split between commits', async () => {
    const { engine, batches, hold } = countingEngine();
    const buffer = new WriteBuffer(engine, { flushIntervalMs: 60_000, bytesMax: 1 << 20 });
    const release = hold();
    buffer.write([{ type: 'put', key: bytes('x'), value: bytes('0') }]);
    const first = buffer.flushed();
    await new Promise((resolve) => setImmediate(resolve));
    buffer.write([
      { type: 'put', key: bytes('data'), value: bytes('1') },
      { type: 'put', key: bytes('meta'), value: bytes('2') },
    ]);
    release();
    await first;
    await buffer.flushed();
    assert.deepEqual(batches, [1, 2]);
  });

  test('a scan sees every write made before it, buffered or not', async () => {
    const { engine } = countingEngine();
    const buffer = new WriteBuffer(engine, { flushIntervalMs: 60_000, bytesMax: 1 << 20 });
    await engine.put(bytes('a'), bytes('disk'));
    buffer.write([
      { type: 'put', key: bytes('b'), value: bytes('buffered') },
      { type: 'delete', key: bytes('a') },
      { type: 'put', key: bytes('z'), value: bytes('outside') },
    ]);
    assert.deepEqual(await collect(buffer.scan({ gte: bytes('a'), lt: bytes('c') })), ['b=buffered']);
  });

  test('close commits what is buffered', async () => {
    const { engine } = countingEngine();
    const buffer = new WriteBuffer(engine, { flushIntervalMs: 60_000, bytesMax: 1 << 20 });
    buffer.write([{ type: 'put', key: bytes('a'), value: bytes('1') }]);
    await buffer.close();
    assert.equal(text(engine.get(bytes('a'))), '1');
    assert.throws(() => buffer.write([{ type: 'put', key: bytes('b'), value: bytes('2') }]));
  });
});

describe('WriteBuffer with a write-ahead log', () => {
  const dirs: string[] = [];
  after(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  /** A counting engine, a fresh log beside it and a buffer over both (`options` on top of a long interval). */
  const bufferWithLog = async (options: Partial<WriteBufferOptions> = {}) => {
    const counting = countingEngine();
    const dir = mkdtempSync(join(tmpdir(), 'kvorum-buffer-wal-'));
    dirs.push(dir);
    const log = await WriteAheadLog.open(dir, counting.engine);
    const buffer = new WriteBuffer(counting.engine, { flushIntervalMs: 60_000, bytesMax: 1 << 20, log, ...options });
    return { ...counting, dir, log, buffer };
  };
  const put = (key: string, value: string) => ({ type: 'put', key: bytes(key), value: bytes(value) }) as const;
  const cutOf = (engine: MemoryEngine): number | undefined => {
    const value = engine.get(metaKey(walCutMetaName));
    return value === undefined ? undefined : Buffer.from(value).readDoubleLE(0);
  };

  test('a wait for durability appends to the log and commits nothing; the engine commit comes later, carrying the cut', async () => {
    const { engine, batches, dir, buffer } = await bufferWithLog();
    buffer.write([put('a', '1')]);
    await buffer.flushed();
    assert.equal(buffer.appends, 1);
    assert.deepEqual(batches, [], 'no engine commit');
    // What a crash now would find: the write is in the log.
    const afterCrash = new MemoryEngine();
    const recovered = await WriteAheadLog.open(dir, afterCrash);
    assert.equal(text(afterCrash.get(bytes('a'))), '1');
    await recovered.close();
    buffer.write([put('b', '1')]);
    await buffer.committed();
    assert.deepEqual(batches, [3], 'both writes and the cut, in one commit');
    assert.equal(cutOf(engine), 2);
    await buffer.close();
  });

  test('writes a durable engine commit holds are not appended again', async () => {
    const { buffer } = await bufferWithLog();
    buffer.write([put('a', '1')]);
    await buffer.committed();
    await buffer.flushed();
    assert.equal(buffer.appends, 0, 'the commit made the write durable: nothing left to append');
    buffer.write([put('b', '1')]);
    await buffer.flushed();
    assert.equal(buffer.appends, 1);
    await buffer.close();
  });

  /**
   * Whether a wait for durability is answered in the turn its append is made: the append runs in
   * a setImmediate queued before the one awaited here, and one made in libuv's pool can only
   * answer in a later turn (its completion comes with the poll phase).
   */
  const answeredInTheAppendsTurn = async (buffer: WriteBuffer, key: string): Promise<boolean> => {
    buffer.write([put(key, '1')]);
    let durable = false;
    const flushed = buffer.flushed().then(() => (durable = true));
    await new Promise((resolve) => setImmediate(resolve));
    const inTurn = durable;
    await flushed;
    return inTurn;
  };

  test('an idle node appends on its own thread: a wait for durability is answered in the turn of the append', async () => {
    // No append counts as slow, however the disk does meanwhile (the next test covers slow ones).
    const { buffer } = await bufferWithLog({ busy: () => false, ownThreadAppendSlowMs: Number.POSITIVE_INFINITY });
    assert.equal(await answeredInTheAppendsTurn(buffer, 'a'), true);
    assert.equal(await answeredInTheAppendsTurn(buffer, 'b'), true);
    assert.equal(buffer.appends, 2);
    await buffer.close();
  });

  test('a busy node appends in the pool: a wait for durability is answered in a later turn', async () => {
    const { buffer } = await bufferWithLog({ busy: () => true });
    assert.equal(await answeredInTheAppendsTurn(buffer, 'a'), false);
    assert.equal(buffer.appends, 1);
    await buffer.close();
  });

  test('after a slow append, an idle node appends in the pool: a stalling disk blocks its thread once', async () => {
    // Every append counts as slow: the first is made on the node's thread, the next in the pool.
    const { buffer } = await bufferWithLog({ busy: () => false, ownThreadAppendSlowMs: 0 });
    assert.equal(await answeredInTheAppendsTurn(buffer, 'a'), true);
    assert.equal(await answeredInTheAppendsTurn(buffer, 'b'), false);
    await buffer.close();
  });

  test('writes made while an append runs go together into the next one', async () => {
    // Busy, so the append runs in the pool while the next writes are made.
    const { buffer } = await bufferWithLog({ busy: () => true });
    buffer.write([put('a', '1')]);
    const first = buffer.flushed();
    await new Promise((resolve) => setImmediate(resolve));
    const waits: Promise<void>[] = [];
    for (const key of ['b', 'c', 'd']) {
      buffer.write([put(key, '1')]);
      waits.push(buffer.flushed());
    }
    await Promise.all([first, ...waits]);
    assert.equal(buffer.appends, 2);
    await buffer.close();
  });

  test('many writes of one key between engine commits go to the log past bytesMax, without a wait: memory stays bounded', async () => {
    const { hold, buffer } = await bufferWithLog({ bytesMax: 1_000 });
    const release = hold(); // engine commits do not end meanwhile
    for (let i = 0; i < 100; i++) buffer.write([put('hot', `value-${i}`.padEnd(100, '.'))]);
    for (let waited = 0; waited < 100 && buffer.appends === 0; waited++) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.ok(buffer.appends >= 1, 'an append took the writes');
    release();
    await buffer.close();
  });

  for (const busy of [false, true]) {
    test(`when an append fails (${busy ? 'in the pool' : "on the node's thread"}), waits for durability are answered by engine commits from then on`, async () => {
      const errors: unknown[] = [];
      const { engine, batches, log, buffer } = await bufferWithLog({ onLogError: (error) => errors.push(error), busy: () => busy });
      await log.close(); // every append now fails
      buffer.write([put('a', '1')]);
      await buffer.flushed();
      assert.equal(errors.length, 1);
      assert.equal(text(engine.get(bytes('a'))), '1', 'committed instead');
      buffer.write([put('b', '1')]);
      await buffer.flushed();
      assert.equal(text(engine.get(bytes('b'))), '1');
      assert.equal(errors.length, 1, 'the log is not tried again');
      assert.equal(cutOf(engine), 2, 'commits still carry the cut, past what the log holds');
      assert.equal(batches.length, 2);
      await buffer.close();
    });
  }
});
