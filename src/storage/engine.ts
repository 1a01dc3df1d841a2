/**
 * The storage engine interface (DESIGN §8): a small ordered byte map. kvorum lays its keys out
 * so that one partition is one contiguous key range (see keys.ts), which is all that transfer
 * and anti-entropy need from an engine. Every engine passes the one compliance suite in
 * compliance.ts.
 */
export type WriteOp =
  | { readonly type: 'put'; readonly key: Uint8Array; readonly value: Uint8Array }
  | { readonly type: 'delete'; readonly key: Uint8Array };

export interface KeyRange {
  /** Inclusive lower bound. */
  readonly gte: Uint8Array;
  /** Exclusive upper bound. */
  readonly lt: Uint8Array;
  /** Stop after this many entries. */
  readonly limit?: number;
}

export interface Entry {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
}

export interface StorageEngine {
  readonly kind: 'memory' | 'lmdb';
  /**
   * Synchronous: reads of both engines are (LMDB reads a memory map), and a read-merge-write that
   * never awaits between its read and its write needs no lock (runtime/store-executor.ts).
   */
  get(key: Uint8Array): Uint8Array | undefined;
  /** Durable when the promise resolves (for engines that are durable at all). */
  put(key: Uint8Array, value: Uint8Array): Promise<void>;
  delete(key: Uint8Array): Promise<void>;
  /**
   * Applies all ops atomically, in order. `handedOver`: the caller never changes the values'
   * bytes again, so the engine may keep them as they are instead of copying them (the write
   * buffer's own encodings); otherwise a caller may reuse its buffers as soon as batch returns.
   */
  batch(ops: readonly WriteOp[], handedOver?: boolean): Promise<void>;
  /** Entries with gte ≤ key < lt in ascending byte order of key. */
  scan(range: KeyRange): AsyncIterable<Entry>;
  close(): Promise<void>;
}

export type EngineKind = StorageEngine['kind'];
