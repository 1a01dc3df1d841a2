/**
 * Partition scans on a real engine, for membership: the chunks a transfer sends (Dynamo §4.9),
 * and the size of each partition a plan reports. One partition is one contiguous key range
 * (storage/keys.ts), so both are range scans.
 */
import type { Effect } from '../core/effects.ts';
import type { TransferEntry } from '../core/messages.ts';
import { readStoredObject } from './stored-objects.ts';
import { immediateSuccessor } from '../storage/bytes.ts';
import type { WriteBuffer } from '../storage/write-buffer.ts';
import { dataKey, decodeDataKey, keyNamespace, partitionRange } from '../storage/keys.ts';

type TransferScan = Extract<Effect, { type: 'transferScan' }>;

export async function scanForTransfer(buffer: WriteBuffer, scan: TransferScan): Promise<{ entries: TransferEntry[]; exhausted: boolean }> {
  const range = partitionRange(scan.partition);
  const gte = scan.after === null ? range.gte : immediateSuccessor(dataKey(scan.partition, scan.after.bucket, scan.after.key));
  const entries: TransferEntry[] = [];
  let bytes = 0;
  for await (const entry of buffer.scan({ gte, lt: range.lt, limit: scan.entriesMax })) {
    // The chunk ends before the key that would take it past bytesMax; the next scan starts there.
    if (entries.length > 0 && bytes + entry.value.byteLength > scan.bytesMax) return { entries, exhausted: false };
    const { bucket, key } = decodeDataKey(entry.key);
    entries.push({ bucket, key, object: readStoredObject(entry.value) });
    bytes += entry.value.byteLength;
  }
  return { entries, exhausted: entries.length < scan.entriesMax };
}

export interface PartitionSize {
  readonly partition: number;
  readonly keys: number;
  readonly bytes: number;
}

/** Keys and stored bytes of every partition this node holds (a full scan: for plans, not hot paths). */
export async function partitionSizes(buffer: WriteBuffer): Promise<PartitionSize[]> {
  const sizes = new Map<number, { keys: number; bytes: number }>();
  const all = { gte: Uint8Array.of(keyNamespace.data), lt: Uint8Array.of(keyNamespace.data + 1) };
  for await (const entry of buffer.scan(all)) {
    const partition = (entry.key[1]! << 8) | entry.key[2]!;
    const size = sizes.get(partition) ?? { keys: 0, bytes: 0 };
    size.keys++;
    size.bytes += entry.value.byteLength;
    sizes.set(partition, size);
  }
  return [...sizes].sort((a, b) => a[0] - b[0]).map(([partition, size]) => ({ partition, ...size }));
}
