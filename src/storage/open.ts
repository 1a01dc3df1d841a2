/**
 * openStorage: picks and opens the engine a node's config names. `memory` keeps nothing across
 * restarts (tests, the simulator); `lmdb` is the durable default on disk and needs a directory.
 */
import { KvorumError } from '../core/errors.ts';
import type { EngineKind, StorageEngine } from './engine.ts';
import { LmdbEngine } from './lmdb.ts';
import { MemoryEngine } from './memory.ts';

export interface StorageOptions {
  readonly kind: EngineKind;
  /** Data directory; required for lmdb, created if missing. */
  readonly path?: string;
}

export async function openStorage(options: StorageOptions): Promise<StorageEngine> {
  switch (options.kind) {
    case 'memory':
      return new MemoryEngine();
    case 'lmdb':
      if (options.path === undefined || options.path === '') {
        throw new KvorumError('bad_config', 'storage kind lmdb needs a path (the data directory)', { field: 'path' });
      }
      return LmdbEngine.open({ path: options.path });
    default:
      throw new KvorumError('bad_config', `unknown storage kind ${JSON.stringify(options.kind satisfies never)}`, {
        field: 'kind',
      });
  }
}
