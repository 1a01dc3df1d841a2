/**
 * Storage throughput: puts/s and gets/s of 100-byte values, one request at a time (each awaited
 * before the next) and with 64 in flight, for the LMDB engine (durable: every put waits for its
 * fsync) and, for reference, the memory engine. Prints a table; asserts nothing.
 *
 *   node --import tsx scripts/storage-throughput.ts [--seconds 2] [--dir /path/on/the/disk/to/test]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { StorageEngine } from '../src/storage/engine.ts';
import { dataKey } from '../src/storage/keys.ts';
import { LmdbEngine } from '../src/storage/lmdb.ts';
import { MemoryEngine } from '../src/storage/memory.ts';

const valueBytes = 100;
const inFlightCount = 64;
const keyCount = 100_000;

const { values: flags } = parseArgs({ options: { seconds: { type: 'string', default: '2' }, dir: { type: 'string' } } });
const phaseMs = Number(flags.seconds) * 1000;

const keys = Array.from({ length: keyCount }, (_, i) => dataKey(i % 64, 'bench', `user${i}`));
const value = new Uint8Array(valueBytes).fill(0x61);

/** Runs `op` from `concurrency` loops for phaseMs; returns operations per second. */
async function measure(concurrency: number, op: (index: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const started = performance.now();
  const deadline = started + phaseMs;
  const loop = async (): Promise<void> => {
    while (performance.now() < deadline) await op(next++ % keyCount);
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  return next / ((performance.now() - started) / 1000);
}

async function bench(name: string, engine: StorageEngine): Promise<Record<string, string>> {
  const row: Record<string, string> = { engine: name };
  const put = (i: number) => engine.put(keys[i]!, value);
  const get = async (i: number) => engine.get(keys[i]!);
  row['put/s seq'] = format(await measure(1, put));
  row[`put/s ×${inFlightCount}`] = format(await measure(inFlightCount, put));
  // Make sure every key exists before reading.
  for (let i = 0; i < keyCount; i += 1000) await engine.batch(keys.slice(i, i + 1000).map((key) => ({ type: 'put', key, value })));
  row['get/s seq'] = format(await measure(1, get));
  row[`get/s ×${inFlightCount}`] = format(await measure(inFlightCount, get));
  await engine.close();
  return row;
}

function format(perSecond: number): string {
  return Math.round(perSecond).toLocaleString('en-US');
}

const root = mkdtempSync(join(flags.dir ?? tmpdir(), 'kvorum-storage-bench-'));
try {
  const rows = [
    await bench('lmdb (durable)', await LmdbEngine.open({ path: join(root, 'lmdb') })),
    await bench('memory', new MemoryEngine()),
  ];
  console.log(`100-byte values, ${keyCount.toLocaleString('en-US')} keys, ${flags.seconds} s per phase, node ${process.version}`);
  console.table(rows);
} finally {
  rmSync(root, { recursive: true, force: true });
}
