import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { StoreOp } from '../core/replica/store-op.ts';
import { decodeObject } from '../core/version/codec.ts';
import { MemoryEngine } from '../storage/memory.ts';
import { dataKey } from '../storage/keys.ts';
import { WriteBuffer } from '../storage/write-buffer.ts';
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
