/**
 * Carries out the core's store effects on the node's write buffer (storage/write-buffer.ts, the
 * object buffer of Dynamo §6.1): read the key's object, apply the pure store op, write the result
 * back if it changed (or delete it, when the op drops it). All of it is synchronous — the buffer
 * reads and writes memory, and LMDB reads a memory map — so two read-merge-writes of one key can
 * never interleave and drop a sibling, without a lock. Durability is the node's to ask for, with
 * a flush (core/effects.ts).
 */
import { KvorumError } from '../core/errors.ts';
import { applyStoreOp, type StoreOp, type StoreOutcome } from '../core/replica/store-op.ts';
import { encodeObject } from '../core/version/codec.ts';
import { readStoredObject } from './stored-objects.ts';
import type { WriteOp } from '../storage/engine.ts';
import { dataKey } from '../storage/keys.ts';
import type { WriteBuffer } from '../storage/write-buffer.ts';
import type { Histogram } from './metrics/histogram.ts';

export interface StoreTargetKey {
  readonly partition: number;
  readonly bucket: string;
  readonly key: string;
}

export class StoreExecutor {
  constructor(
    private readonly buffer: WriteBuffer,
    /** How long each kind of op takes, read to write-back (metrics/instruments.ts); none in unit tests. */
    private readonly seconds?: Readonly<Record<StoreOp['kind'], Histogram>>,
  ) {}

  /**
   * Never throws: any failure, a disk's or a target the key layout cannot hold, is an error
   * outcome. Peers' targets are checked before they get here (core/peer-message-check.ts); this
   * is the second line, so that no input can end the process.
   */
  run(target: StoreTargetKey, op: StoreOp): StoreOutcome {
    if (this.seconds === undefined) return this.apply(target, op);
    const startedMs = performance.now();
    const outcome = this.apply(target, op);
    this.seconds[op.kind].observe((performance.now() - startedMs) / 1000);
    return outcome;
  }

  private apply(target: StoreTargetKey, op: StoreOp): StoreOutcome {
    try {
      const key = dataKey(target.partition, target.bucket, target.key);
      const bytes = this.buffer.get(key);
      const stored = bytes === undefined ? null : readStoredObject(bytes);
      const result = applyStoreOp(stored, op);
      const change: WriteOp | undefined = result.drop
        ? { type: 'delete', key }
        : result.write
          ? { type: 'put', key, value: encodeObject(result.write) }
          : undefined;
      if (change !== undefined) this.buffer.write([change]);
      return result.outcome;
    } catch (error) {
      const wrapped = error instanceof KvorumError ? error : new KvorumError('internal', `storage failed: ${(error as Error).message}`);
      return { ok: false, error: wrapped };
    }
  }
}
