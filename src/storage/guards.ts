/**
 * Checks every engine makes before it touches its store, so that all engines accept and refuse
 * exactly the same calls (the compliance suite holds them to it). A bad key or range is a
 * programmer error — kvorum builds storage keys itself in keys.ts from validated input — so it
 * fails an assertion. Using a closed engine is an operating condition (a request that races a
 * node's shutdown), so it is a KvorumError with code `unavailable`.
 */
import { assert, assertFailed } from '../core/assert.ts';
import { KvorumError } from '../core/errors.ts';
import type { EngineKind, KeyRange, WriteOp } from './engine.ts';

/**
 * Longest storage key, in bytes: LMDB's compiled-in maximum key size in lmdb-js 3.x. The memory
 * engine enforces it too so that nothing works in the simulator and then fails on disk. kvorum's
 * own data keys are at most 1 + 2 + 1 + bucketBytesMax + keyBytesMax = 1092 bytes by default.
 */
export const storageKeyBytesMax = 1978;

export function assertStorageKey(key: Uint8Array): void {
  assert(key instanceof Uint8Array, 'storage key must be a Uint8Array');
  assert(key.length >= 1, 'storage key must not be empty (LMDB cannot store an empty key)');
  if (!(key.length <= storageKeyBytesMax)) assertFailed(`storage key is ${key.length} bytes, more than ${storageKeyBytesMax}`);
}

export function assertStorageValue(value: Uint8Array): void {
  assert(value instanceof Uint8Array, 'storage value must be a Uint8Array');
}

export function assertWriteOps(ops: readonly WriteOp[]): void {
  for (const op of ops) {
    assertStorageKey(op.key);
    if (op.type === 'put') assertStorageValue(op.value);
    else if (op.type !== 'delete') assertFailed(`unknown write op type ${String((op as { type: unknown }).type)}`);
  }
}

/**
 * Bounds are byte strings of at most storageKeyBytesMax bytes (LMDB cannot seek to a longer
 * one); an empty `gte` is the start of the keyspace.
 */
export function assertKeyRange(range: KeyRange): void {
  assert(range.gte instanceof Uint8Array && range.lt instanceof Uint8Array, 'range bounds must be Uint8Arrays');
  if (!(range.gte.length <= storageKeyBytesMax && range.lt.length <= storageKeyBytesMax)) assertFailed(`range bounds must be at most ${storageKeyBytesMax} bytes`);
  if (range.limit !== undefined) {
    if (!(Number.isSafeInteger(range.limit) && range.limit >= 0)) assertFailed(`range limit must be a non-negative integer, got ${range.limit}`);
  }
}

export function engineClosedError(kind: EngineKind): KvorumError {
  return new KvorumError('unavailable', `storage engine (${kind}) is closed`, { engine: kind });
}
