import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { StoreOp } from '../core/replica/store-op.ts';
import { decodeObject } from '../core/version/codec.ts';
import { MemoryEngine } from '../storage/memory.ts';
import { dataKey, userKeyBytesMax } from '../storage/keys.ts';
import { WriteBuffer } from '../storage/write-buffer.ts';
import { limits } from '../core/limits.ts';
import { validateBucket, validateKey } from '../core/validate.ts';
import { encodeObject } from '../core/version/codec.ts';
import { HintExecutor } from './hint-executor.ts';
import { scanForTransfer } from './partition-scan.ts';
import { StoreExecutor } from './store-executor.ts';

const target = { partition: 3, bucket: 'b', key: 'k' };
const coordinate = (value: number): StoreOp => ({
  kind: 'coordinate',
  intent: { value: new Uint8Array([value]), contentType: 'text/plain', deleted: false, context: null },
  actor: 'n1.ab',
  nowMs: 1,
  resolution: 'siblings',
});

function harness(engine = new MemoryEngine()) {
  const buffer = new WriteBuffer(engine, { flushIntervalMs: 60_000, bytesMax: 1 << 20, onCommitError: () => {} });
  const onDisk = () => {
    const bytes = engine.get(dataKey(target.partition, target.bucket, target.key));
    return bytes === undefined ? null : decodeObject(bytes);
  };
  return { engine, buffer, executor: new StoreExecutor(buffer), onDisk };
}

describe('StoreExecutor', () => {
  test('read-merge-writes of one key see each other at once, and reach the disk with the next commit', async () => {
    const { buffer, executor, onDisk } = harness();
    const outcomes = [1, 2, 3].map((value) => executor.run(target, coordinate(value)));
    assert.deepEqual(
      outcomes.map((outcome) => outcome.ok && outcome.written?.dot[1]),
      [1, 2, 3],
      'each write read the one before it, without waiting for a commit',
    );
    assert.equal(onDisk(), null);
    await buffer.flushed();
    assert.equal(onDisk()?.siblings.length, 3);
  });

  test('a failed commit keeps the write readable in the buffer, and the next commit stores it', async () => {
    const engine = new MemoryEngine();
    let failNextBatch = true;
    const batch = engine.batch.bind(engine);
    engine.batch = async (ops) => {
      if (failNextBatch) {
        failNextBatch = false;
        throw new Error('disk full');
      }
      return batch(ops);
    };
    const { buffer, executor, onDisk } = harness(engine);
    assert.ok(executor.run(target, coordinate(1)).ok, 'the write is applied to the buffer');
    await assert.rejects(buffer.flushed(), /disk full/);
    const read = executor.run(target, { kind: 'read' });
    assert.ok(read.ok && read.object !== null, 'the write is still read from the buffer');
    await buffer.flushed();
    assert.equal(onDisk()?.siblings.length, 1);
  });

  test('a drop deletes the key if it is unchanged', async () => {
    const { buffer, executor, onDisk } = harness();
    const written = executor.run(target, coordinate(1));
    assert.ok(written.ok && written.object);
    const dropped = executor.run(target, { kind: 'dropIfUnchanged', object: written.object, reason: 'stray' });
    assert.ok(dropped.ok && dropped.object === null);
    await buffer.flushed();
    assert.equal(onDisk(), null);
  });

  test('a key too long for the storage layout is an error outcome, not a throw', () => {
    const { executor } = harness();
    const outcome = executor.run({ ...target, bucket: 'b'.repeat(300) }, { kind: 'read' });
    assert.ok(!outcome.ok);
  });
});

describe('StoreExecutor and HintExecutor on targets the key layout cannot hold', () => {
  // Issue 11 §1: a peer's replicaRead with a 300-byte bucket reached dataKey's assertion outside
  // the executor's try, and the rejected promise ended the process.
  const hostile = [
    { partition: 3, bucket: 'b'.repeat(300), key: 'k' },
    { partition: 3, bucket: 'b', key: 'lone \uD800 surrogate' },
    { partition: 70_000, bucket: 'b', key: 'k' },
  ];

  test('a store op answers an error outcome, never a throw', () => {
    const { executor } = harness();
    for (const target of hostile) {
      for (const op of [{ kind: 'read' } as const, coordinate(0)]) {
        const outcome = executor.run(target, op);
        assert.equal(outcome.ok, false, `${op.kind} of ${target.bucket.length}-character bucket`);
      }
    }
  });

  test('a hint op answers failed, never a throw', async () => {
    const executor = new HintExecutor(harness().buffer);
    for (const target of hostile) {
      const outcome = await executor.run({ kind: 'readKey', target, resolution: 'siblings' });
      assert.equal(outcome.kind, 'failed');
    }
  });
});

test('every bucket and key a client may write fits the storage key layout', () => {
  // The peer message check holds peers to validateBucket and validateKey (core/peer-message-check.ts);
  // this closes the chain to dataKey's assertions, for the longest key a config may allow.
  const bucketLike = fc.oneof(fc.stringMatching(/^[A-Za-z0-9_.-]{1,70}$/), fc.string({ unit: 'binary', maxLength: 300 }));
  const keyLike = fc.oneof(fc.string({ unit: 'binary', maxLength: userKeyBytesMax + 10 }), fc.string({ unit: 'binary', minLength: 600, maxLength: 700 }));
  fc.assert(
    fc.property(bucketLike, keyLike, fc.integer({ min: 0, max: limits.partitionCountMax - 1 }), (bucket, key, partition) => {
      try {
        validateBucket(bucket);
        validateKey(key, { keyBytesMax: userKeyBytesMax, valueBytesMax: 1 });
      } catch {
        return;
      }
      assert.doesNotThrow(() => dataKey(partition, bucket, key));
    }),
    { numRuns: 2000 },
  );
});

test('an object on disk beyond the hard bound (written before it existed) is read bounded, by store ops and transfer scans (issue 11 §2)', async () => {
  // Such an object could not be sent in any frame, and anti-entropy sent it again after every restart.
  const engine = new MemoryEngine();
  const siblings = Array.from({ length: limits.siblingsHardMax + 12 }, (_, i) => ({
    dot: ['n1.a', i + 1] as const,
    value: new Uint8Array([i]),
    contentType: 'x',
    lastModifiedMs: 1_000 + i,
    deleted: false,
  }));
  const oversized = { siblings, context: { clock: [['n1.a', siblings.length, 2_000] as const], dots: [] } };
  await engine.put(dataKey(target.partition, target.bucket, target.key), encodeObject(oversized));
  const { buffer, executor } = harness(engine);
  const read = executor.run(target, { kind: 'read' });
  assert.ok(read.ok && read.object !== null);
  assert.equal(read.object.siblings.length, limits.siblingsHardMax);
  assert.equal(read.object.siblings[0]!.dot[1], 13, 'the newest are kept');
  const scanned = await scanForTransfer(buffer, { type: 'transferScan', scanId: 1, partition: target.partition, after: null, entriesMax: 10, bytesMax: 1024 * 1024 });
  assert.equal(scanned.entries[0]!.object.siblings.length, limits.siblingsHardMax);
});
