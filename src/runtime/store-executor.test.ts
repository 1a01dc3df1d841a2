import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { actorGenerationMetaName, decodeActorGeneration } from '../core/replica/actor-generation.ts';
import type { StoreOp } from '../core/replica/store-op.ts';
import { MemoryEngine } from '../storage/memory.ts';
import { dataKey, metaKey, userKeyBytesMax } from '../storage/keys.ts';
import { limits } from '../core/limits.ts';
import { validateBucket, validateKey } from '../core/validate.ts';
import { encodeObject } from '../core/version/codec.ts';
import { HintExecutor } from './hint-executor.ts';
import { scanForTransfer } from './partition-scan.ts';
import { StoreExecutor } from './store-executor.ts';

const target = { partition: 3, bucket: 'b', key: 'k' };
const coordinate = (actorGeneration: number): StoreOp => ({
  kind: 'coordinate',
  intent: { value: new Uint8Array([1]), contentType: 'text/plain', deleted: false, context: null },
  actor: actorGeneration === 0 ? 'n1.ab' : `n1.ab~${actorGeneration}`,
  actorGeneration,
  nowMs: 1,
  resolution: 'siblings',
});

describe('StoreExecutor and actor generations', () => {
  test('the first write under a generation records it on disk, and the record never goes down', async () => {
    const engine = new MemoryEngine();
    const executor = new StoreExecutor(engine, 0);
    const recorded = async () => decodeActorGeneration(await engine.get(metaKey(actorGenerationMetaName)));
    await executor.run(target, coordinate(0));
    assert.equal(await engine.get(metaKey(actorGenerationMetaName)), undefined, 'generation 0 needs no record');
    await executor.run(target, coordinate(2));
    assert.equal(await recorded(), 2);
    await executor.run({ ...target, key: 'other' }, coordinate(1));
    assert.equal(await recorded(), 2);
  });

  test('a write whose batch failed leaves the generation unrecorded, so the next write under it records it', async () => {
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
    const executor = new StoreExecutor(engine, 0);
    const failed = await executor.run(target, coordinate(3));
    assert.ok(!failed.ok, 'the failed write is reported');
    await executor.run({ ...target, key: 'other' }, coordinate(3));
    assert.equal(decodeActorGeneration(await engine.get(metaKey(actorGenerationMetaName))), 3);
  });

  test('a drop deletes the key and records its generation in the same batch', async () => {
    const engine = new MemoryEngine();
    const executor = new StoreExecutor(engine, 0);
    const written = await executor.run(target, coordinate(0));
    assert.ok(written.ok && written.object);
    const dropped = await executor.run(target, { kind: 'dropIfUnchanged', object: written.object, actorGeneration: 4, reason: 'stray' });
    assert.ok(dropped.ok && dropped.object === null);
    assert.equal(decodeActorGeneration(await engine.get(metaKey(actorGenerationMetaName))), 4);
    const read = await executor.run(target, { kind: 'read' });
    assert.ok(read.ok && read.object === null);
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

  test('a store op answers an error outcome, never a rejection', async () => {
    const executor = new StoreExecutor(new MemoryEngine(), 0);
    for (const target of hostile) {
      for (const op of [{ kind: 'read' } as const, coordinate(0)]) {
        const outcome = await executor.run(target, op);
        assert.equal(outcome.ok, false, `${op.kind} of ${target.bucket.length}-character bucket`);
      }
    }
  });

  test('a hint op answers failed, never a rejection', async () => {
    const executor = new HintExecutor(new MemoryEngine());
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
  const read = await new StoreExecutor(engine, 0).run(target, { kind: 'read' });
  assert.ok(read.ok && read.object !== null);
  assert.equal(read.object.siblings.length, limits.siblingsHardMax);
  assert.equal(read.object.siblings[0]!.dot[1], 13, 'the newest are kept');
  const scanned = await scanForTransfer(engine, { type: 'transferScan', scanId: 1, partition: target.partition, after: null, entriesMax: 10, bytesMax: 1024 * 1024 });
  assert.equal(scanned.entries[0]!.object.siblings.length, limits.siblingsHardMax);
});
