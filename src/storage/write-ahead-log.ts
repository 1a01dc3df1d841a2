/**
 * WriteAheadLog: what makes a buffered write durable before the engine commits it. The write
 * buffer (write-buffer.ts) numbers every write it takes with an ordinal; a wait for durability
 * appends the writes made since the last append as one group (wal-group.ts) with ONE pwrite on a
 * file opened O_DSYNC — a write and an fdatasync in one call. That costs ~0.17 ms and ~120 µs of
 * CPU here, where a durable LMDB commit costs 0.3–0.7 ms and 300–400 µs (docs/benchmarks.md), so
 * the engine is committed on the writer's schedule only (`flushIntervalMs`), and an acknowledged
 * write waits for the log alone.
 *
 * The log and the engine meet at the cut: each engine commit stores, in the same transaction, the
 * ordinal of the first write it does not hold (`walCutMetaName`). After a crash, open() applies
 * the logged writes from the stored cut on, in order — a contiguous run of the writes made, so a
 * key ends at its newest logged value even where a group also holds older writes the engine
 * already has — and commits them with a new cut before the node serves.
 *
 * Segments. The log is a few files of `walSegmentBytes`, zero-filled and synced when made, so an
 * append overwrites allocated space and its sync writes no file metadata (an append that grows a
 * file costs ~40 % more CPU and 50 % more time). A segment whose groups all sit below a durable
 * engine commit's cut is reused from its start, under a new salt: the groups left behind the new
 * ones carry the old salt and are never read again. Groups start on 4 KiB boundaries, so an
 * append never rewrites a sector of an acknowledged group (a torn sector write at a power cut
 * cannot take one). Appends are one at a time, so the durable log is always a prefix of what was
 * appended: a torn group can only be the last, and one that was never acknowledged.
 *
 * LMDB's own durability is untouched (every engine commit is synced, lmdb-js' overlappingSync):
 * LMDB warns that running it without syncs can corrupt it on an OS crash, which a log cannot mend.
 */
import { randomBytes } from 'node:crypto';
import { constants, writeSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { assert, assertFailed } from '../core/assert.ts';
import { KvorumError } from '../core/errors.ts';
import type { StorageEngine, WriteOp } from './engine.ts';
import { metaKey } from './keys.ts';
import { decodeWalGroup, encodeWalGroup, walSaltBytes, type LoggedWrite, type WalGroup } from './wal-group.ts';

/** Bytes of one segment file. A group larger than a segment is written alone, past its end. */
export const walSegmentBytes = 4 * 1024 * 1024;
/** Groups start at multiples of this: a page, and a sector of any disk. */
export const walGroupAlignBytes = 4096;
/** Segments kept ready for reuse beyond the one appended to; more are deleted. */
export const walSpareSegmentsMax = 2;
/**
 * Full segments waiting for LMDB to commit their writes (256 MiB at 4 MiB each). Past it, LMDB
 * has failed to commit for long: the log refuses to grow, and the buffer falls back to waiting
 * for LMDB commits (write-buffer.ts), which fail visibly until the disk is mended.
 */
export const walRetiredSegmentsMax = 64;
/** The largest group `append` writes on the node's thread: ~0.1 ms of blocking here, not the 2 MiB a group may reach. */
export const walOwnThreadGroupBytesMax = 64 * 1024;
/** Meta key holding the cut: the ordinal of the first write the engine does not hold. */
export const walCutMetaName = 'walCut';

const segmentFilePattern = /^segment-(\d+)\.wal$/;
const zeroChunkBytes = 1024 * 1024;

export interface WalOptions {
  /** Bytes of a segment (tests make them small); default walSegmentBytes. */
  readonly segmentBytes?: number;
}

interface Segment {
  readonly number: number;
  readonly handle: FileHandle;
  /** Where the next group goes. */
  appendAt: number;
  /** The last ordinal of the groups appended to it since it was (re)started; -1 if none. */
  lastOrdinal: number;
  /** Drawn at each (re)start; every group of this use carries it. */
  salt: Buffer;
}

/** What opening the log found and applied, for the node's log. */
export interface WalRecovery {
  /** Writes applied to the engine from the log. */
  readonly replayed: number;
  /** Groups found past a damaged one or a gap in the ordinals, not applied. */
  readonly strandedGroups: number;
}

export class WriteAheadLog {
  /** Segments holding groups the engine may not yet hold, oldest first. */
  private readonly retired: Segment[] = [];
  private appending = false;
  /** Settles when the append in flight (if any) has ended: close() waits for it. */
  private appendEnded: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    private readonly dir: string,
    private current: Segment,
    private readonly spare: Segment[],
    private nextSegmentNumber: number,
    private readonly segmentBytes: number,
    /** The ordinal the write buffer gives its first write. */
    readonly firstOrdinal: number,
    readonly recovery: WalRecovery,
  ) {}

  /**
   * Opens the log in `dir` (created if missing) beside `engine`: applies to the engine every
   * logged write from the engine's cut on, commits that with the new cut, and readies a segment.
   */
  static async open(dir: string, engine: StorageEngine, options: WalOptions = {}): Promise<WriteAheadLog> {
    const segmentBytes = options.segmentBytes ?? walSegmentBytes;
    if (!(Number.isInteger(segmentBytes) && segmentBytes >= walGroupAlignBytes && segmentBytes % walGroupAlignBytes === 0)) assertFailed(`bad segment size ${segmentBytes}`);
    await mkdir(dir, { recursive: true });
    const cut = decodeCut(engine.get(metaKey(walCutMetaName)));
    const numbers = (await readdir(dir)).flatMap((name) => {
      const match = segmentFilePattern.exec(name);
      return match === null ? [] : [Number(match[1])];
    });
    const groups: WalGroup[] = [];
    const stranded: WalGroup[] = [];
    for (const number of numbers) {
      const found = readWalSegment(await readFile(segmentPath(dir, number)));
      groups.push(...found.groups);
      stranded.push(...found.stranded);
    }
    groups.sort((a, b) => a.firstOrdinal - b.firstOrdinal);
    const replay: WriteOp[] = [];
    let next = cut;
    for (const group of groups) {
      const end = group.firstOrdinal + group.writes.length;
      if (end <= next) continue;
      if (group.firstOrdinal > next) {
        stranded.push(group);
        continue;
      }
      for (let i = next - group.firstOrdinal; i < group.writes.length; i++) replay.push(group.writes[i]!);
      next = end;
    }
    // Groups the engine holds anyway are no loss (a stale group of an earlier use, read past a
    // damaged first group). Ordinals go on past the others, so none is ever given twice.
    const lost = stranded.filter((group) => group.firstOrdinal + group.writes.length > next);
    let firstOrdinal = next;
    for (const group of lost) firstOrdinal = Math.max(firstOrdinal, group.firstOrdinal + group.writes.length);
    if (replay.length > 0 || firstOrdinal !== cut) await engine.batch([...replay, walCutOp(firstOrdinal)]);
    // Every group found is now below the engine's cut: every segment may be reused.
    const segments = await Promise.all(numbers.sort((a, b) => a - b).map((number) => openSegment(dir, number)));
    const current = segments.shift() ?? (await createSegment(dir, 0, segmentBytes));
    const spare = segments.splice(0, walSpareSegmentsMax);
    for (const extra of segments) await deleteSegment(dir, extra);
    const nextSegmentNumber = Math.max(current.number, ...spare.map((segment) => segment.number)) + 1;
    return new WriteAheadLog(dir, current, spare, nextSegmentNumber, segmentBytes, firstOrdinal, { replayed: replay.length, strandedGroups: lost.length });
  }

  /**
   * Appends `writes`, ordinals `firstOrdinal` on, as one group, and resolves once it is on disk.
   * One append at a time: the caller waits for one before it starts the next.
   *
   * `onThisThread` (an idle node): a group of at most `walOwnThreadGroupBytesMax` that fits the
   * current segment is written at once with `writeSync`, and undefined returned — on disk, or
   * thrown. A write handed to libuv's thread pool costs twice the CPU of one made here (101–121 µs
   * against 48–50 per 4 KiB on this disk) and waits for a pool thread to be scheduled: the most
   * of an idle durable write's latency on a busy machine. It blocks the event loop meanwhile (0.11
   * ms p50 here for 4 KiB), which an idle node can afford for a small group on a healthy disk (the
   * caller stops asking after a slow append: write-buffer.ts). Any other group goes to the pool.
   */
  append(firstOrdinal: number, writes: readonly LoggedWrite[]): Promise<void>;
  append(firstOrdinal: number, writes: readonly LoggedWrite[], onThisThread: boolean): Promise<void> | undefined;
  append(firstOrdinal: number, writes: readonly LoggedWrite[], onThisThread = false): Promise<void> | undefined {
    assert(!this.appending, 'write-ahead log appends overlap');
    assert(!this.closed, 'append to a closed write-ahead log');
    assert(writes.length > 0, 'empty write-ahead log group');
    const segment = this.current;
    const bytes = encodeWalGroup(firstOrdinal, writes, segment.salt);
    if (onThisThread && bytes.length <= walOwnThreadGroupBytesMax && this.fits(segment, bytes)) {
      const at = this.place(segment, bytes, firstOrdinal, writes.length);
      let written = 0;
      while (written < bytes.length) {
        const count = writeSync(segment.handle.fd, bytes, written, bytes.length - written, at + written);
        if (count <= 0) throw new KvorumError('internal', `write-ahead log segment ${segment.number}: a write took no bytes`);
        written += count;
      }
      return undefined;
    }
    const appended = this.appendInPool(firstOrdinal, writes, bytes);
    this.appendEnded = appended.catch(() => undefined);
    return appended;
  }

  /** The biggest group worth making: half a segment, so that a group never grows a file. */
  get groupBytesMax(): number {
    return this.segmentBytes / 2;
  }

  /** `bytes`: the group encoded under the current segment's salt. */
  private async appendInPool(firstOrdinal: number, writes: readonly LoggedWrite[], bytes: Uint8Array): Promise<void> {
    this.appending = true;
    try {
      let segment = this.current;
      if (!this.fits(segment, bytes)) {
        await this.rotate();
        segment = this.current;
        bytes = encodeWalGroup(firstOrdinal, writes, segment.salt); // under the next segment's salt
      }
      const at = this.place(segment, bytes, firstOrdinal, writes.length);
      let written = 0;
      while (written < bytes.length) written += (await segment.handle.write(bytes, written, bytes.length - written, at + written)).bytesWritten;
    } finally {
      this.appending = false;
    }
  }

  /** Whether a group of `bytes` goes into `segment` (a group larger than a segment goes alone into an empty one). */
  private fits(segment: Segment, bytes: Uint8Array): boolean {
    return segment.appendAt === 0 || segment.appendAt + bytes.length <= this.segmentBytes;
  }

  /**
   * Takes the place of a group in `segment` and returns where it starts. Set before the write: a
   * group that may be on disk must hold its segment back from reuse.
   */
  private place(segment: Segment, bytes: Uint8Array, firstOrdinal: number, count: number): number {
    const at = segment.appendAt;
    segment.appendAt = alignUp(at + bytes.length);
    segment.lastOrdinal = firstOrdinal + count - 1;
    return at;
  }

  /**
   * The engine holds, durably, every write below `cut`: segments whose groups all sit below it are
   * reused (the one appended to restarts from its beginning when no append is running).
   */
  release(cut: number): void {
    while (this.retired.length > 0 && this.retired[0]!.lastOrdinal < cut) {
      const segment = this.retired.shift()!;
      if (this.spare.length < walSpareSegmentsMax) this.spare.push(restarted(segment));
      else void deleteSegment(this.dir, segment).catch(() => undefined);
    }
    if (!this.appending && this.current.lastOrdinal < cut && this.current.appendAt > 0) restarted(this.current);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.appendEnded;
    for (const segment of [this.current, ...this.retired, ...this.spare]) await segment.handle.close();
  }

  private async rotate(): Promise<void> {
    if (this.retired.length >= walRetiredSegmentsMax) {
      throw new KvorumError('internal', `the write-ahead log holds ${this.retired.length} full segments whose writes LMDB has not committed: it takes no more`, {
        segments: this.retired.length,
      });
    }
    this.retired.push(this.current);
    this.current = this.spare.shift() ?? (await createSegment(this.dir, this.nextSegmentNumber++, this.segmentBytes));
  }
}

/** The meta write an engine commit carries: it holds every write below `cut`. */
export function walCutOp(cut: number): WriteOp {
  const value = Buffer.allocUnsafe(8);
  value.writeDoubleLE(cut, 0);
  return { type: 'put', key: metaKey(walCutMetaName), value };
}

function decodeCut(bytes: Uint8Array | undefined): number {
  if (bytes === undefined) return 0;
  const cut = bytes.byteLength === 8 ? Buffer.from(bytes.buffer, bytes.byteOffset, 8).readDoubleLE(0) : Number.NaN;
  if (!Number.isSafeInteger(cut) || cut < 0) throw new KvorumError('bad_config', 'the storage holds a damaged write-ahead log cut (meta key walCut)');
  return cut;
}

function restarted(segment: Segment): Segment {
  segment.appendAt = 0;
  segment.lastOrdinal = -1;
  segment.salt = randomBytes(walSaltBytes);
  return segment;
}

/**
 * The groups of a segment's last use: from its start, while each carries the salt of the first.
 * Groups of that use found past a damaged one are `stranded`: they cannot be applied without the
 * writes they follow, and must be reported. When the first group itself is damaged, its use's
 * salt is unknown: every whole group found is a candidate, and open() keeps those the engine
 * does not hold (a stale group of an earlier use sits below the cut).
 */
export function readWalSegment(bytes: Buffer): { groups: WalGroup[]; stranded: WalGroup[] } {
  const groups: WalGroup[] = [];
  const stranded: WalGroup[] = [];
  const first = decodeWalGroup(bytes, 0);
  if (first === undefined) {
    for (let at = walGroupAlignBytes; at < bytes.length; at += walGroupAlignBytes) {
      const group = decodeWalGroup(bytes, at);
      if (group !== undefined) stranded.push(group);
    }
    return { groups, stranded };
  }
  let at = 0;
  for (let group: WalGroup | undefined = first; group !== undefined && group.salt.equals(first.salt); group = decodeWalGroup(bytes, at)) {
    groups.push(group);
    at = alignUp(group.end);
  }
  for (at += walGroupAlignBytes; at < bytes.length; at += walGroupAlignBytes) {
    const group = decodeWalGroup(bytes, at);
    if (group !== undefined && group.salt.equals(first.salt)) stranded.push(group);
  }
  return { groups, stranded };
}

function alignUp(offset: number): number {
  return Math.ceil(offset / walGroupAlignBytes) * walGroupAlignBytes;
}


function segmentPath(dir: string, number: number): string {
  return join(dir, `segment-${number}.wal`);
}

/** O_DSYNC: each pwrite returns once its bytes (and what reading them needs) are on disk. */
async function openSegment(dir: string, number: number): Promise<Segment> {
  const handle = await open(segmentPath(dir, number), constants.O_RDWR | constants.O_DSYNC);
  return { number, handle, appendAt: 0, lastOrdinal: -1, salt: randomBytes(walSaltBytes) };
}

/** A new segment, zero-filled and synced with its directory entry before it takes a group. */
async function createSegment(dir: string, number: number, segmentBytes: number): Promise<Segment> {
  const path = segmentPath(dir, number);
  const filling = await open(path, 'w');
  try {
    const zeros = Buffer.alloc(Math.min(zeroChunkBytes, segmentBytes));
    for (let at = 0; at < segmentBytes; at += zeros.length) await filling.write(zeros, 0, Math.min(zeros.length, segmentBytes - at), at);
    await filling.sync();
  } finally {
    await filling.close();
  }
  const directory = await open(dir, 'r');
  try {
    await directory.sync();
  } finally {
    await directory.close();
  }
  return openSegment(dir, number);
}

async function deleteSegment(dir: string, segment: Segment): Promise<void> {
  await segment.handle.close();
  await rm(segmentPath(dir, segment.number), { force: true });
}
