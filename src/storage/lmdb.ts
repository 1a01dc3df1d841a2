/**
 * LmdbEngine: the on-disk engine (DESIGN §8), on lmdb-js (the `lmdb` package, LMDB with
 * prebuilt binaries). LMDB is a copy-on-write B+tree in one memory-mapped file: readers never
 * block, one writer commits at a time, and a committed transaction survives a crash.
 *
 * How writes become fast and durable. lmdb-js queues every async put/remove issued in the same
 * event turn (and any that arrive while the previous commit is running) into ONE write
 * transaction on its writer thread, so 64 concurrent puts cost about one fsync, not 64. We keep
 * that: put/delete/batch each issue one async lmdb-js write and never use the synchronous
 * *Sync calls (which would split the batch and block the event loop for a commit).
 * With `overlappingSync` (lmdb-js' default on Linux) a write's promise resolves when its
 * transaction is COMMITTED (visible), and the fsync runs afterwards, overlapped with the next
 * transaction. `separateFlushed: true` hangs that fsync's promise on the write's promise as
 * `.flushed`; our put awaits both, so it resolves only once its transaction is on disk — the
 * StorageEngine contract ("durable when the promise resolves"), and what lets a replica ack a
 * write (Dynamo §4.5: the write is stored before W is counted).
 *
 * lmdb-js behaviour relied on here (checked against lmdb-js 3.5.6, and by the compliance suite):
 * - Read-your-writes after resolution: on commit lmdb-js resets its cached read transaction
 *   before it resolves the writes' promises, so a get issued after `await put(...)` sees it.
 * - A get issued BEFORE the put resolves does not see it (we run without lmdb-js' cache, which
 *   would pin pending values): reads come from the last committed snapshot. Callers that
 *   read-modify-write a key must await the write first; the replica does so through
 *   KeyedSerializer (keyed-lock.ts).
 * - lmdb-js keeps a POINTER to a put's value buffer and reads it on the writer thread at commit
 *   time, so we hand it a private copy; otherwise a caller reusing its buffer would change what
 *   is stored. (Keys are copied into lmdb-js' own instruction buffer synchronously.)
 * - `batch(callback)` runs every put/remove issued inside the callback in one transaction, in
 *   call order, so a batch is atomic and ordered.
 * - The map grows by itself: lmdb-js patches LMDB to double the map when a transaction needs
 *   more pages than it holds, so `mapSizeInitialBytes` is only where it starts (address space,
 *   not disk: the file grows with the data).
 * - getRange with binary keys orders keys by memcmp (shorter first on a tie), start inclusive,
 *   end exclusive; values and keys it returns are fresh buffers, but we copy into plain
 *   Uint8Arrays anyway so that both engines return identical types. `get` copies out of lmdb-js'
 *   reused read buffer (getBinaryFast) into a pooled buffer, handed on as a plain Uint8Array view.
 */
import { open, type RootDatabase } from 'lmdb';
import { KvorumError } from '../core/errors.ts';
import { copyBytes, pooledCopy } from './bytes.ts';
import { chunkedScan, type ChunkRequest } from './chunked-scan.ts';
import type { Entry, KeyRange, StorageEngine, WriteOp } from './engine.ts';
import { assertKeyRange, assertStorageKey, assertStorageValue, assertWriteOps, engineClosedError } from './guards.ts';

/** Where the memory map starts; it doubles on demand (see above). */
export const lmdbMapSizeInitialBytesDefault = 256 * 1024 * 1024;

export interface LmdbEngineOptions {
  /** Directory holding the environment; created (with parents) if missing. */
  readonly path: string;
  readonly mapSizeInitialBytes?: number;
}

type BinaryDatabase = RootDatabase<Uint8Array, Uint8Array>;

/** lmdb-js' write promise, with `.flushed` because the database is opened with separateFlushed. */
type LmdbWritePromise = Promise<unknown> & { readonly flushed?: PromiseLike<unknown> };

export class LmdbEngine implements StorageEngine {
  readonly kind = 'lmdb';
  private closed = false;

  private constructor(
    private readonly db: BinaryDatabase,
    readonly path: string,
  ) {}

  static async open(options: LmdbEngineOptions): Promise<LmdbEngine> {
    try {
      const db = open<Uint8Array, Uint8Array>({
        path: options.path,
        noSubdir: false,
        keyEncoding: 'binary',
        encoding: 'binary',
        separateFlushed: true,
        mapSize: options.mapSizeInitialBytes ?? lmdbMapSizeInitialBytesDefault,
      });
      return new LmdbEngine(db, options.path);
    } catch (error) {
      throw new KvorumError('bad_config', `cannot open LMDB storage at ${options.path}: ${(error as Error).message}`, {
        path: options.path,
      });
    }
  }

  get(key: Uint8Array): Uint8Array | undefined {
    this.ensureOpen();
    assertStorageKey(key);
    // getBinaryFast answers with a view of lmdb-js' reused read buffer, valid until the next read:
    // it is copied out at once, into Node's pool of small buffers — a slice of its own (what
    // `get` does) is a fresh allocation outside V8's heap per read, for the GC to sweep. Every
    // request reads its key on each replica. A plain Uint8Array view, like the memory engine's.
    const shared = this.db.getBinaryFast(key);
    if (shared === undefined) return undefined;
    // The shared buffer is as large as the largest value read: lmdb-js sets its `length` (not its
    // byteLength) to this value's size.
    return pooledCopy(new Uint8Array(shared.buffer, shared.byteOffset, shared.length));
  }

  async put(key: Uint8Array, value: Uint8Array): Promise<void> {
    this.ensureOpen();
    assertStorageKey(key);
    assertStorageValue(value);
    await this.durable(this.db.put(key, copyBytes(value)) as LmdbWritePromise);
  }

  async delete(key: Uint8Array): Promise<void> {
    this.ensureOpen();
    assertStorageKey(key);
    await this.durable(this.db.remove(key) as LmdbWritePromise);
  }

  async batch(ops: readonly WriteOp[], handedOver = false): Promise<void> {
    this.ensureOpen();
    assertWriteOps(ops);
    if (ops.length === 0) return;
    const written = this.db.batch(() => {
      for (const op of ops) {
        if (op.type === 'put') void this.db.put(op.key, handedOver ? op.value : copyBytes(op.value));
        else void this.db.remove(op.key);
      }
    });
    await this.durable(written as LmdbWritePromise);
  }

  scan(range: KeyRange): AsyncIterable<Entry> {
    assertKeyRange(range);
    return chunkedScan(range, (request) => this.readChunk(request));
  }

  /** Waits for writes already issued to reach the disk, then closes. Later calls reject. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.db.flushed;
    await this.db.close();
  }

  private readChunk(request: ChunkRequest): Entry[] {
    this.ensureOpen();
    const chunk: Entry[] = [];
    let bytes = 0;
    // An empty start bound means "from the first key": LMDB has no empty key to seek to.
    const start = request.gte.length === 0 ? undefined : request.gte;
    for (const { key, value } of this.db.getRange({ start, end: request.lt, limit: request.entriesMax })) {
      chunk.push({ key: copyBytes(key), value: copyBytes(value) });
      bytes += value.length;
      if (chunk.length >= request.entriesMax || bytes >= request.bytesMax) break;
    }
    return chunk;
  }

  /**
   * Resolves once the write's transaction is committed AND flushed to disk. A write promise
   * without `.flushed` falls back to the database's, which waits for the latest commit.
   */
  private async durable(write: LmdbWritePromise): Promise<void> {
    await write;
    await (write.flushed ?? this.db.flushed);
  }

  private ensureOpen(): void {
    if (this.closed) throw engineClosedError(this.kind);
  }
}
