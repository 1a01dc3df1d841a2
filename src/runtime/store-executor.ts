/**
 * Carries out the core's store effects on a real StorageEngine: read the key's object, apply the
 * pure store op, write the result back if it changed (or delete it, when the op drops it) —
 * under a per-key lock, so that two read-merge-writes of one key never interleave (which would
 * drop a sibling). Drops and the first write of a new actor generation also record that
 * generation, in the same atomic batch (core/replica/actor-generation.ts).
 */
import { KvorumError } from '../core/errors.ts';
import { applyStoreOp, type StoreOp, type StoreOutcome } from '../core/replica/store-op.ts';
import { decodeObject, encodeObject } from '../core/version/codec.ts';
import type { StoredObject } from '../core/version/types.ts';
import type { StorageEngine } from '../storage/engine.ts';
import { KeyedSerializer } from '../storage/keyed-lock.ts';
import { dataKey, metaKey } from '../storage/keys.ts';
import { actorGenerationMetaName, encodeActorGeneration } from '../core/replica/actor-generation.ts';

const actorGenerationKey = metaKey(actorGenerationMetaName);

export interface StoreTargetKey {
  readonly partition: number;
  readonly bucket: string;
  readonly key: string;
}

export class StoreExecutor {
  private readonly serializer = new KeyedSerializer();
  /** The highest actor generation written to disk (lmdb-js commits batches in issue order). */
  private actorGenerationWritten: number;

  /** `actorGeneration`: what the disk records at start. */
  constructor(
    private readonly engine: StorageEngine,
    actorGeneration = 0,
  ) {
    this.actorGenerationWritten = actorGeneration;
  }

  async run(target: StoreTargetKey, op: StoreOp): Promise<StoreOutcome> {
    const key = dataKey(target.partition, target.bucket, target.key);
    const lockName = Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1');
    try {
      return await this.serializer.run(lockName, async () => {
        const bytes = await this.engine.get(key);
        const stored: StoredObject | null = bytes ? decodeObject(bytes) : null;
        const result = applyStoreOp(stored, op);
        if (result.drop && op.kind === 'dropIfUnchanged') {
          // One atomic batch: a drop on disk implies the actor generation that made it safe is too.
          // Drops of different keys may reach here out of order: the record only ever grows.
          this.actorGenerationWritten = Math.max(this.actorGenerationWritten, op.actorGeneration);
          await this.engine.batch([
            { type: 'delete', key },
            { type: 'put', key: actorGenerationKey, value: encodeActorGeneration(this.actorGenerationWritten) },
          ]);
        } else if (result.write && op.kind === 'coordinate' && op.actorGeneration > this.actorGenerationWritten) {
          // The first write under a new generation records it, atomically with the write.
          this.actorGenerationWritten = op.actorGeneration;
          await this.engine.batch([
            { type: 'put', key, value: encodeObject(result.write) },
            { type: 'put', key: actorGenerationKey, value: encodeActorGeneration(this.actorGenerationWritten) },
          ]);
        } else if (result.write) await this.engine.put(key, encodeObject(result.write));
        return result.outcome;
      });
    } catch (error) {
      const wrapped = error instanceof KvorumError ? error : new KvorumError('internal', `storage failed: ${(error as Error).message}`);
      return { ok: false, error: wrapped };
    }
  }
}
