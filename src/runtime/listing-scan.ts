/**
 * The storage side of a listing (core/coverage/listing.ts, issue 12 §6): one partition's keys of a
 * bucket, or the names of the buckets it holds keys of, read from the write buffer in storage
 * order. Keys of a bucket are one key range (storage/keys.ts: partition | bucket length | bucket |
 * key); bucket names are found by seeking past each bucket's range, one short read per bucket, so
 * a partition's many keys cost nothing. Each read is a bounded range scan of its own (chunked-
 * scan.ts): it holds no snapshot and takes no lock, so writes go on while a listing runs.
 */
import type { Effect } from '../core/effects.ts';
import { listReadEntriesMax } from '../core/coverage/listing-limits.ts';
import { liveSiblings } from '../core/version/stored-object.ts';
import { immediateSuccessor, prefixSuccessor } from '../storage/bytes.ts';
import { bucketRange, dataKey, decodeDataKey, partitionRange } from '../storage/keys.ts';
import type { WriteBuffer } from '../storage/write-buffer.ts';
import { readStoredObject } from './stored-objects.ts';

type ListScan = Extract<Effect, { type: 'listScan' }>;

export async function scanForListing(buffer: WriteBuffer, scan: ListScan): Promise<{ items: string[]; next: string | null }> {
  return scan.bucket === null ? scanBucketNames(buffer, scan) : scanKeys(buffer, scan, scan.bucket);
}

async function scanKeys(buffer: WriteBuffer, scan: ListScan, bucket: string): Promise<{ items: string[]; next: string | null }> {
  const range = bucketRange(scan.partition, bucket);
  const gte = scan.after === null ? range.gte : immediateSuccessor(dataKey(scan.partition, bucket, scan.after));
  const items: string[] = [];
  let bytes = 0;
  let examined = 0;
  let last: string | null = null;
  for await (const entry of buffer.scan({ gte, lt: range.lt, limit: listReadEntriesMax })) {
    examined++;
    const { key } = decodeDataKey(entry.key);
    last = key;
    if (!scan.withDeleted && liveSiblings(readStoredObject(entry.value)).length === 0) continue; // a tombstone
    items.push(key);
    bytes += Buffer.byteLength(key);
    if (items.length >= scan.itemsMax || bytes >= scan.bytesMax) return { items, next: key };
  }
  // Stopped by the entries a read may examine: the partition may go on after the last one.
  return { items, next: examined >= listReadEntriesMax ? last : null };
}

async function scanBucketNames(buffer: WriteBuffer, scan: ListScan): Promise<{ items: string[]; next: string | null }> {
  const range = partitionRange(scan.partition);
  let gte = scan.after === null ? range.gte : pastBucket(scan.partition, scan.after);
  const items: string[] = [];
  let bytes = 0;
  while (items.length < scan.itemsMax && bytes < scan.bytesMax) {
    let found: string | null = null;
    for await (const entry of buffer.scan({ gte, lt: range.lt, limit: 1 })) found = decodeDataKey(entry.key).bucket;
    if (found === null) return { items, next: null };
    items.push(found);
    bytes += found.length;
    gte = pastBucket(scan.partition, found);
  }
  return { items, next: items.at(-1) ?? null };
}

/** The first storage key after every key of `bucket` in `partition`. */
function pastBucket(partition: number, bucket: string): Uint8Array {
  return prefixSuccessor(dataKey(partition, bucket, ''))!;
}
