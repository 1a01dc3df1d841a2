/**
 * The object buffer of Dynamo §6.1 ("Storage nodes maintain an object buffer … gets periodically
 * written to storage by a writer thread. Read operations first check if the requested key is
 * present in the buffer"), over a StorageEngine.
 *
 * Every write of a node goes through here: it is in memory, visible to reads, the moment
 * `write` returns. A writer commits what the buffer holds to the engine in ONE atomic
 * transaction at most `flushIntervalMs` later — sooner when someone waits for durability
 * (`flushed`) or the buffer passes `bytesMax`. So an fsync (~300–400 µs of CPU here whatever the
 * batch) is paid per commit, not per write, and grows into a larger group commit under load: the
 * writes that arrive while one commit runs all go into the next.
 *
 * When the node is busy (`busy()`), a wait for durability is held for `groupCommitWindowMs`
 * before its commit starts, so that the writes of the requests in flight join it: each commit
 * costs about the same whatever it holds, so under load fewer, larger ones cost less per write.
 * An idle node commits at once: a lone write pays no window.
 *
 * Writes reach the disk in the order they were made (a commit takes everything written before it
 * started), so once `flushed()` resolves, every write made before the call is on disk. The
 * buffer's own promise to a caller who does not wait: a crash of the process loses at most what
 * was written since the last commit began (docs/durability.md).
 *
 * With a write-ahead log (write-ahead-log.ts; every LMDB node has one), a wait for durability
 * appends the writes made since the last append to the log instead of committing the engine: one
 * pwrite with O_DSYNC, ~3× cheaper than an LMDB commit (in libuv's pool while the node is busy,
 * on the node's own thread while it is idle: write-ahead-log.ts, `append`). The engine is then
 * committed on the writer's schedule only, each commit carrying the cut that tells the log which
 * writes it holds.
 * Every write is numbered (its ordinal) and kept for the log until an append or a durable commit
 * takes it, so that the log always holds a contiguous run of the writes made (write-ahead-log.ts
 * says why that matters). If the log fails, waits for durability fall back to engine commits.
 *
 * Reads see the newest write of a key: the buffer's pending writes, then the commit in flight,
 * then the engine. A scan, which the engine answers, first commits what the buffer holds in its
 * range (scans are background work: transfers, anti-entropy, collection).
 */
import { assert, assertFailed } from '../core/assert.ts';
import { compareBytes } from './bytes.ts';
import type { Entry, KeyRange, StorageEngine, WriteOp } from './engine.ts';
import { walCutOp, type WriteAheadLog } from './write-ahead-log.ts';

/**
 * An append slower than this (a healthy one takes ~0.1 ms here) sends the next ones to libuv's
 * pool even on an idle node, until one is fast again: a disk that stalls must not stall the node.
 */
export const ownThreadAppendSlowMs = 2;

export interface WriteBufferOptions {
  /** The writer commits writes at most this long after the first of them was made. */
  readonly flushIntervalMs: number;
  /** Bytes of pending writes past which the writer commits at once instead of waiting. */
  readonly bytesMax: number;
  /** A commit failed: its writes stay in the buffer and go with the next commit. */
  readonly onCommitError?: (error: unknown) => void;
  /** Called after each commit that reached the disk, with how long it took (metrics). */
  readonly onCommitted?: (durationMs: number, writes: number) => void;
  /** How long a wait for durability holds its commit while the node is busy (0: never). */
  readonly groupCommitWindowMs?: number;
  /** Whether enough requests are in flight that a commit held a moment will gather more writes. */
  readonly busy?: () => boolean;
  /** Makes writes durable before the engine commits them (opened, and recovered, by the caller). */
  readonly log?: WriteAheadLog;
  /** Called after each append to the log, with how long it took (metrics). */
  readonly onLogged?: (durationMs: number, writes: number) => void;
  /** Past this, an append sends the next ones to the pool (default `ownThreadAppendSlowMs`; tests lower it). */
  readonly ownThreadAppendSlowMs?: number;
  /** An append to the log failed: from then on, waits for durability wait for engine commits. */
  readonly onLogError?: (error: unknown) => void;
}

/** One buffered write of a key: its new value, or null for a delete. */
interface BufferedWrite {
  readonly key: Uint8Array;
  readonly value: Uint8Array | null;
}

/** Callers waiting for the commit that will take the pending writes. */
interface Waiter {
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

export class WriteBuffer {
  /** Written and not yet taken by a commit, by key (its bytes as latin1); the newest write of each key. */
  private pending = new Map<string, BufferedWrite>();
  private pendingBytes = 0;
  /** When the oldest pending write was made (performance.now() ms). */
  private pendingSinceMs = 0;
  /** The writes of the commit in flight: still read from here until they are on disk. */
  private committing = new Map<string, BufferedWrite>();
  private commitInFlight = false;
  /** Waiting for the commit that will take `pending` (the one after any in flight). */
  private waiters: Waiter[] = [];
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  /** `timer` holds a busy node's commit for the group-commit window (not the periodic writer's wait). */
  private windowOpen = false;
  private closed = false;
  /** Commits made, for metrics: writes per commit is `writesCommitted / commits`. */
  commits = 0;
  writesCommitted = 0;

  /** The log, while it works; undefined without one or once an append failed. */
  private log: WriteAheadLog | undefined;
  /** The ordinal the next write gets. */
  private nextOrdinal: number;
  /** The writes, in order, that neither an append nor a durable commit took yet: ordinals unloggedFirstOrdinal… */
  private unlogged: BufferedWrite[] = [];
  private unloggedFirstOrdinal: number;
  /** Bytes of `unlogged`: every write, not one per key, so it is bounded apart from `pendingBytes`. */
  private unloggedBytes = 0;
  /** Waiting for the append that will take `unlogged` (the one after any in flight). */
  private logWaiters: Waiter[] = [];
  private appendInFlight = false;
  private appendScheduled = false;
  /** Appends made, for metrics. */
  appends = 0;
  /** The last append took longer than `ownThreadAppendSlowMs`: the next one goes through the pool. */
  private lastAppendSlow = false;

  constructor(
    private readonly engine: StorageEngine,
    private readonly options: WriteBufferOptions,
  ) {
    if (!(Number.isInteger(options.flushIntervalMs) && options.flushIntervalMs >= 1)) assertFailed(`bad flushIntervalMs ${options.flushIntervalMs}`);
    if (!(Number.isInteger(options.bytesMax) && options.bytesMax >= 1)) assertFailed(`bad bytesMax ${options.bytesMax}`);
    this.log = options.log;
    this.nextOrdinal = options.log?.firstOrdinal ?? 0;
    this.unloggedFirstOrdinal = this.nextOrdinal;
  }

  /** The newest value written for `key` (buffered or on disk), undefined if none or deleted. */
  get(key: Uint8Array): Uint8Array | undefined {
    const id = keyId(key);
    const buffered = this.pending.get(id) ?? this.committing.get(id);
    if (buffered !== undefined) return buffered.value ?? undefined;
    return this.engine.get(key);
  }

  /**
   * Applies `ops` to the buffer, in order, visible to reads at once. They reach the disk
   * together, in one commit, never apart (a batch stays atomic).
   */
  write(ops: readonly WriteOp[]): void {
    assert(!this.closed, 'write to a closed write buffer');
    if (this.pending.size === 0) this.pendingSinceMs = performance.now();
    for (const op of ops) {
      const id = keyId(op.key);
      const value = op.type === 'put' ? op.value : null;
      const previous = this.pending.get(id);
      if (previous !== undefined) this.pendingBytes -= writeBytes(previous);
      const write: BufferedWrite = { key: op.key, value };
      const bytes = writeBytes(write);
      this.pending.set(id, write);
      this.pendingBytes += bytes;
      if (this.log !== undefined) {
        this.unlogged.push(write);
        this.unloggedBytes += bytes;
      }
      this.nextOrdinal++;
    }
    if (this.pendingBytes >= this.options.bytesMax) this.commitSoon();
    else this.commitLater();
    // Many writes of a few keys between engine commits: the log takes them, so memory stays bounded
    // (and a group stays small enough for a segment).
    if (this.log !== undefined && this.unloggedBytes >= Math.min(this.options.bytesMax, this.log.groupBytesMax)) this.appendSoon();
  }

  /**
   * Resolves once every write made before the call is on disk — in the log, or else committed to
   * the engine; rejects if that failed.
   */
  flushed(): Promise<void> {
    if (this.log === undefined) return this.committed();
    if (this.unlogged.length === 0 && !this.appendInFlight) return Promise.resolve();
    const promise = new Promise<void>((resolve, reject) => this.logWaiters.push({ resolve, reject }));
    this.appendSoon();
    return promise;
  }

  /** Resolves once every write made before the call is committed to the engine (and durable there). */
  committed(): Promise<void> {
    if (this.pending.size === 0 && !this.commitInFlight) return Promise.resolve();
    // With nothing pending, the commit in flight holds the earlier writes: the waiter is answered
    // when it ends (or, if it failed, when its writes are committed again).
    const promise = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    this.commitSoon();
    return promise;
  }

  /**
   * Entries of `range` from the engine, after committing the buffered writes in the range, so a
   * scan sees every write made before it was asked for.
   */
  async *scan(range: KeyRange): AsyncIterable<Entry> {
    if (this.holdsWritesIn(range)) await this.committed();
    yield* this.engine.scan(range);
  }

  /**
   * Commits what is buffered, then stops taking writes and closes the log, once its appends in
   * flight have ended (the engine is the caller's to close).
   */
  async close(): Promise<void> {
    if (this.closed) return;
    try {
      await this.flushed();
      await this.committed();
    } finally {
      this.closed = true;
      this.cancelTimers();
      await this.options.log?.close();
    }
  }

  /** Writes waiting for a commit, and their bytes (metrics). */
  get pendingCount(): number {
    return this.pending.size;
  }

  get pendingBytesCount(): number {
    return this.pendingBytes;
  }

  private holdsWritesIn(range: KeyRange): boolean {
    const inRange = (write: BufferedWrite): boolean => compareBytes(write.key, range.gte) >= 0 && compareBytes(write.key, range.lt) < 0;
    for (const write of this.pending.values()) if (inRange(write)) return true;
    for (const write of this.committing.values()) if (inRange(write)) return true;
    return false;
  }

  /**
   * Appends what is unlogged at the end of this turn — or, while the node is busy, after the
   * group-commit window, so that the writes of the requests in flight join it.
   */
  private appendSoon(): void {
    if (this.appendInFlight || this.appendScheduled) return;
    this.appendScheduled = true;
    const windowMs = this.options.groupCommitWindowMs ?? 0;
    if (windowMs > 0 && this.options.busy?.() === true) setTimeout(() => this.append(), windowMs);
    else setImmediate(() => this.append());
  }

  private append(): void {
    this.appendScheduled = false;
    const log = this.closed ? undefined : this.log;
    const waiters = this.logWaiters;
    this.logWaiters = [];
    if (log === undefined) {
      // The log failed (or was closed, after close() committed everything) meanwhile: these waits are for the engine.
      for (const waiter of waiters) this.committed().then(waiter.resolve, waiter.reject);
      return;
    }
    if (this.unlogged.length === 0) {
      for (const waiter of waiters) waiter.resolve();
      return;
    }
    const writes = this.unlogged;
    const firstOrdinal = this.unloggedFirstOrdinal;
    assert(firstOrdinal + writes.length === this.nextOrdinal, 'unlogged writes are not the last ones made');
    this.unlogged = [];
    this.unloggedBytes = 0;
    this.unloggedFirstOrdinal = this.nextOrdinal;
    this.appendInFlight = true;
    const startedMs = performance.now();
    const appended = () => {
      const durationMs = performance.now() - startedMs;
      this.appendInFlight = false;
      this.appends++;
      this.lastAppendSlow = durationMs > (this.options.ownThreadAppendSlowMs ?? ownThreadAppendSlowMs);
      this.options.onLogged?.(durationMs, writes.length);
      for (const waiter of waiters) waiter.resolve();
      if (this.logWaiters.length > 0) this.appendSoon();
    };
    const failed = (error: unknown) => {
      // A failed O_DSYNC write leaves it unknown what reached the disk: the log is given up, and
      // durability comes from engine commits, which hold every write (they never needed the log).
      this.appendInFlight = false;
      this.log = undefined;
      this.unlogged = [];
      this.unloggedBytes = 0;
      this.options.onLogError?.(error);
      for (const waiter of [...waiters, ...this.logWaiters.splice(0)]) this.committed().then(waiter.resolve, waiter.reject);
    };
    // An idle node appends on its own thread (write-ahead-log.ts: half the CPU, and no wait for a
    // pool thread); a busy one in the pool, and so does any node after a slow append until one is
    // fast again: a disk that stalls blocks the event loop once, not at every wait.
    let inPool: Promise<void> | undefined;
    try {
      inPool = log.append(firstOrdinal, writes, this.options.busy?.() !== true && !this.lastAppendSlow);
    } catch (error) {
      return failed(error);
    }
    if (inPool === undefined) appended();
    else inPool.then(appended, failed);
  }

  /** A durable engine commit holds every write below `cut`: the log need not keep them. */
  private releaseLogBelow(cut: number): void {
    if (this.log === undefined) return;
    this.log.release(cut);
    const taken = cut - this.unloggedFirstOrdinal;
    assert(taken <= this.unlogged.length, 'a commit took writes not yet made');
    if (taken > 0) {
      for (const write of this.unlogged.splice(0, taken)) this.unloggedBytes -= writeBytes(write);
      this.unloggedFirstOrdinal = cut;
    }
  }

  /**
   * The periodic writer: commits `flushIntervalMs` after the oldest pending write was made (or as
   * soon as the commit in flight ends, if that is later).
   */
  private commitLater(): void {
    if (this.timer !== undefined || this.immediate !== undefined || this.commitInFlight) return;
    const delayMs = Math.max(0, this.pendingSinceMs + this.options.flushIntervalMs - performance.now());
    this.timer = setTimeout(() => this.commit(), delayMs);
  }

  /**
   * Commits at the end of this turn of the event loop, so the writes and waits of one batch of
   * incoming messages share one commit; while one is in flight, the next starts when it ends.
   */
  private commitSoon(): void {
    if (this.commitInFlight || this.immediate !== undefined || this.windowOpen) return;
    this.cancelTimers();
    const windowMs = this.options.groupCommitWindowMs ?? 0;
    if (windowMs > 0 && this.options.busy?.() === true) {
      this.windowOpen = true;
      this.timer = setTimeout(() => this.commit(), windowMs);
    } else this.immediate = setImmediate(() => this.commit());
  }

  private cancelTimers(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
    this.windowOpen = false;
  }

  private commit(): void {
    this.cancelTimers();
    if (this.commitInFlight || this.pending.size === 0) {
      if (!this.commitInFlight) for (const waiter of this.waiters.splice(0)) waiter.resolve();
      return;
    }
    const batch = this.pending;
    const waiters = this.waiters;
    this.pending = new Map();
    this.pendingBytes = 0;
    this.waiters = [];
    this.committing = batch;
    this.commitInFlight = true;
    const ops: WriteOp[] = [];
    for (const { key, value } of batch.values()) ops.push(value === null ? { type: 'delete', key } : { type: 'put', key, value });
    const writes = ops.length;
    // Every write made so far is in this commit or an earlier one: the cut tells the log so. It
    // goes on after the log failed too, past the groups the log holds, lest they be applied again.
    const cut = this.nextOrdinal;
    if (this.options.log !== undefined) ops.push(walCutOp(cut));
    // The buffer's values are encodings nobody changes (core/version/codec.ts): no copy needed.
    const startedMs = performance.now();
    this.engine.batch(ops, true).then(
      () => {
        this.commits++;
        this.writesCommitted += writes;
        this.options.onCommitted?.(performance.now() - startedMs, writes);
        this.releaseLogBelow(cut);
        this.endCommit();
        for (const waiter of waiters) waiter.resolve();
      },
      (error: unknown) => {
        // Nothing of the batch is on disk (a commit is atomic): its writes go with the next
        // commit, behind any newer write of the same key made since.
        if (this.pending.size === 0) this.pendingSinceMs = performance.now();
        for (const [id, write] of batch) {
          if (this.pending.has(id)) continue;
          this.pending.set(id, write);
          this.pendingBytes += writeBytes(write);
        }
        this.endCommit();
        this.options.onCommitError?.(error);
        for (const waiter of waiters) waiter.reject(error);
      },
    );
  }

  private endCommit(): void {
    this.committing = new Map();
    this.commitInFlight = false;
    if (this.waiters.length > 0 || this.pendingBytes >= this.options.bytesMax) this.commitSoon();
    else if (this.pending.size > 0 && !this.closed) this.commitLater();
  }
}

/**
 * Buffer's latin1 decoder, called on the key itself: a Buffer view made per call to reach it
 * (`Buffer.from(key.buffer, …).toString('latin1')`) cost 0.27 µs against 0.09, and every store op
 * looks its key up here.
 */
const latin1Slice = (Buffer.prototype as unknown as { latin1Slice(this: Uint8Array, start: number, end: number): string }).latin1Slice;

/** The key's bytes as a string, one char per byte: a Map key for the bytes. */
function keyId(key: Uint8Array): string {
  return latin1Slice.call(key, 0, key.length);
}

function writeBytes(write: BufferedWrite): number {
  return write.key.byteLength + (write.value?.byteLength ?? 0);
}
