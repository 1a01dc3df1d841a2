/**
 * MemoryEngine: an ordered byte map for tests and the simulator.
 *
 * Entries stay sorted by key in byte order in a SortedByteMap (sorted blocks with binary
 * search), so get and put are O(log n) plus a small splice, and a scan starts in O(log n) and
 * walks forward. Nothing is ever re-sorted.
 *
 * Bytes are copied on the way in and on the way out, so no caller can change stored data
 * through a buffer it passed or received, just as if the bytes had gone to disk and back.
 * Writes apply before the returned promise settles; like every engine, callers must await a
 * write before counting on a get to see it. Nothing is durable: a simulated disk wipe is simply
 * a new MemoryEngine.
 */
import { compareBytes, copyBytes } from './bytes.ts';
import { chunkedScan, type ChunkRequest } from './chunked-scan.ts';
import type { Entry, KeyRange, StorageEngine, WriteOp } from './engine.ts';
import { assertKeyRange, assertStorageKey, assertStorageValue, assertWriteOps, engineClosedError } from './guards.ts';
import { SortedByteMap } from './sorted-byte-map.ts';

export class MemoryEngine implements StorageEngine {
  readonly kind = 'memory';
  private readonly entries = new SortedByteMap<Uint8Array>();
  private closed = false;

  /** Number of keys stored (for tests and metrics). */
  get size(): number {
    return this.entries.size;
  }

  get(key: Uint8Array): Uint8Array | undefined {
    this.ensureOpen();
    assertStorageKey(key);
    const value = this.entries.get(key);
    return value === undefined ? undefined : copyBytes(value);
  }

  async put(key: Uint8Array, value: Uint8Array): Promise<void> {
    this.ensureOpen();
    assertStorageKey(key);
    assertStorageValue(value);
    this.entries.set(copyBytes(key), copyBytes(value));
  }

  async delete(key: Uint8Array): Promise<void> {
    this.ensureOpen();
    assertStorageKey(key);
    this.entries.delete(key);
  }

  /** Validates every op before applying any, so a bad op leaves the map untouched (atomicity). */
  async batch(ops: readonly WriteOp[], _handedOver = false): Promise<void> {
    this.ensureOpen();
    assertWriteOps(ops);
    for (const op of ops) {
      if (op.type === 'put') this.entries.set(copyBytes(op.key), copyBytes(op.value));
      else this.entries.delete(op.key);
    }
  }

  scan(range: KeyRange): AsyncIterable<Entry> {
    assertKeyRange(range);
    return chunkedScan(range, (request) => this.readChunk(request));
  }

  async close(): Promise<void> {
    this.closed = true;
    this.entries.clear();
  }

  /** Synchronous, so the map cannot change under the iterator. */
  private readChunk(request: ChunkRequest): Entry[] {
    this.ensureOpen();
    const chunk: Entry[] = [];
    let bytes = 0;
    for (const entry of this.entries.entriesFrom(request.gte)) {
      if (compareBytes(entry.key, request.lt) >= 0) break;
      chunk.push({ key: copyBytes(entry.key), value: copyBytes(entry.value) });
      bytes += entry.value.length;
      if (chunk.length >= request.entriesMax || bytes >= request.bytesMax) break;
    }
    return chunk;
  }

  private ensureOpen(): void {
    if (this.closed) throw engineClosedError(this.kind);
  }
}
