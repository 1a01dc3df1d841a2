/**
 * Ordered scans in chunks, shared by the engines.
 *
 * A scan may run for a long time — a partition transfer streams every key to another node at
 * the pace of the network — so no engine holds a read snapshot or a cursor across the caller's
 * awaits. Each chunk is read synchronously (one consistent snapshot per chunk), its bytes are
 * copied out, and the next chunk resumes just after the last key returned. Across chunks the
 * scan is therefore not a snapshot: every entry it yields is a committed value of that key, each
 * key appears at most once and in ascending order, and keys written or deleted while the scan
 * runs may or may not be seen. Transfer and anti-entropy need no more than that (Dynamo §4.7
 * repairs whatever a pass misses on the next one); in LMDB it also keeps a slow reader from
 * pinning old pages and growing the file.
 */
import { compareBytes, immediateSuccessor } from './bytes.ts';
import type { Entry, KeyRange } from './engine.ts';

/** Entries one chunk reads before yielding to the caller. */
export const scanChunkEntriesMax = 512;
/** Value bytes after which a chunk stops early (it always holds at least one entry). */
export const scanChunkBytesMax = 4 * 1024 * 1024;

export interface ChunkRequest {
  readonly gte: Uint8Array;
  readonly lt: Uint8Array;
  readonly entriesMax: number;
  readonly bytesMax: number;
}

/**
 * Reads entries with gte ≤ key < lt in ascending order, stopping after `entriesMax` entries or
 * once their values total at least `bytesMax`. Returns copies the engine no longer references.
 */
export type ReadChunk = (request: ChunkRequest) => Entry[];

export async function* chunkedScan(range: KeyRange, readChunk: ReadChunk): AsyncGenerator<Entry> {
  let remaining = range.limit ?? Number.POSITIVE_INFINITY;
  let gte = range.gte;
  while (remaining > 0 && compareBytes(gte, range.lt) < 0) {
    const entriesMax = Math.min(remaining, scanChunkEntriesMax);
    const chunk = readChunk({ gte, lt: range.lt, entriesMax, bytesMax: scanChunkBytesMax });
    for (const entry of chunk) yield entry;
    remaining -= chunk.length;
    const last = chunk.at(-1);
    // An empty chunk means the range is exhausted; a short one is not proof of that, because
    // the byte budget may have cut it, so only emptiness ends the scan.
    if (last === undefined) return;
    gte = immediateSuccessor(last.key);
  }
}
