import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { actorGenerationMetaName, decodeActorGeneration } from '../core/replica/actor-generation.ts';
import type { StoreOp } from '../core/replica/store-op.ts';
import { MemoryEngine } from '../storage/memory.ts';
import { metaKey } from '../storage/keys.ts';
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
