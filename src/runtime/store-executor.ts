/**
 * Carries out the core's store effects on a real StorageEngine: read the key's object, apply the
 * pure store op, write the result back if it changed (or delete it, when the op drops it) —
 * under a per-key lock, so that two read-merge-writes of one key never interleave (which would
 * drop a sibling). Drops and the first write of a new actor generation also record that
 * generation, in the same atomic batch (core/replica/actor-generation.ts).
 */
import { KvorumError } from '../core/errors.ts';
import { applyStoreOp, type StoreOp, type StoreOutcome } from '../core/replica/store-op.ts';
import { encodeObject } from '../core/version/codec.ts';
import { readStoredObject } from './stored-objects.ts';
import type { StoredObject } from '../core/version/types.ts';
import type { StorageEngine, WriteOp } from '../storage/engine.ts';
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

  /**
   * Never rejects: any failure, a disk's or a target the key layout cannot hold, is an error
   * outcome. Peers' targets are checked before they get here (core/peer-message-check.ts); this
   * is the second line, so that no input can turn into an unhandled rejection that ends the process.
   */
  async run(target: StoreTargetKey, op: StoreOp): Promise<StoreOutcome> {
    try {
      const key = dataKey(target.partition, target.bucket, target.key);
      const lockName = Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1');
      return await this.serializer.run(lockName, async () => {
        const bytes = await this.engine.get(key);
        const stored: StoredObject | null = bytes ? readStoredObject(bytes) : null;
        const result = applyStoreOp(stored, op);
        const change: WriteOp | undefined = result.drop
          ? { type: 'delete', key }
          : result.write
            ? { type: 'put', key, value: encodeObject(result.write) }
            : undefined;
        if (change === undefined) return result.outcome;
        // The first change under a higher actor generation records it in the same atomic batch:
        // a dot or a drop on disk implies its generation is. Batches commit in issue order, so a
        // later change under a generation already recorded needs nothing more.
        const generation = op.kind === 'coordinate' || op.kind === 'dropIfUnchanged' ? op.actorGeneration : 0;
        if (generation > this.actorGenerationWritten) {
          // Raised before the await, so that a batch of a lower generation issued meanwhile does not
          // record it after ours; lowered again if ours failed and nothing higher was issued since.
          const before = this.actorGenerationWritten;
          this.actorGenerationWritten = generation;
          try {
            await this.engine.batch([change, { type: 'put', key: actorGenerationKey, value: encodeActorGeneration(generation) }]);
          } catch (error) {
            if (this.actorGenerationWritten === generation) this.actorGenerationWritten = before;
            throw error;
          }
        } else if (change.type === 'delete') await this.engine.delete(key);
        else await this.engine.put(key, change.value);
        return result.outcome;
      });
    } catch (error) {
      const wrapped = error instanceof KvorumError ? error : new KvorumError('internal', `storage failed: ${(error as Error).message}`);
      return { ok: false, error: wrapped };
    }
  }
}
