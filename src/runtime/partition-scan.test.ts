import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeObject } from '../core/version/codec.ts';
import type { StoredObject } from '../core/version/types.ts';
import { dataKey } from '../storage/keys.ts';
import { MemoryEngine } from '../storage/memory.ts';
import { WriteBuffer } from '../storage/write-buffer.ts';
import { scanForTransfer } from './partition-scan.ts';

function objectOf(valueBytes: number): StoredObject {
  return {
    siblings: [{ dot: ['a', 1], value: new Uint8Array(valueBytes), contentType: 'x', lastModifiedMs: 1, deleted: false }],
    context: { clock: [['a', 1, 1]], dots: [] },
  };
}

test('a transfer chunk ends before the key that would take it past bytesMax, and holds at least one (issue 11 §2)', async () => {
  const engine = new MemoryEngine();
  const kib = 1024;
  for (const [key, size] of [['a', 600 * kib], ['b', 600 * kib], ['c', 3000 * kib], ['d', 10], ['e', 10]] as const) {
    await engine.put(dataKey(5, 'bucket', key), encodeObject(objectOf(size)));
  }
  const chunks: string[][] = [];
  let after: { bucket: string; key: string } | null = null;
  for (;;) {
    const { entries, exhausted } = await scanForTransfer(new WriteBuffer(engine, { flushIntervalMs: 1_000, bytesMax: 1 << 20 }), { type: 'transferScan', scanId: 1, partition: 5, after, entriesMax: 128, bytesMax: 1024 * kib });
    chunks.push(entries.map((entry) => entry.key));
    if (exhausted || entries.length === 0) break;
    const last = entries.at(-1)!;
    after = { bucket: last.bucket, key: last.key };
  }
  // Before, a chunk went on until it had reached bytesMax: 'a' then 'b' (1.2 MiB), then 'c' with
  // whatever followed — so a chunk could be bytesMax plus one object of objectBytesMax.
  assert.deepEqual(chunks, [['a'], ['b'], ['c'], ['d', 'e']]);
});
