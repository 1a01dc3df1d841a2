/**
 * What an LMDB engine write costs by the size of the commit it goes in: YCSB's scrambled zipfian
 * over `--records` keys (what a node stores under YCSB-A, where every node holds every key),
 * 250-byte values, one durable commit (`batch`) per `--per-commit` writes, each batch holding the
 * newest write of each key as the write buffer's does. Prints the process's CPU per write, over all
 * its threads (LMDB commits on its own), from /proc/self/stat; asserts nothing. docs/benchmarks.md
 * ("the next lever") has its numbers.
 *
 *   node --import tsx scripts/engine-commit-size.ts [--per-commit 550,2750,5500] [--writes 55000] [--records 10000] [--dir DIR]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ScrambledZipfianGenerator } from '../bench/ycsb/scrambled-zipfian.ts';
import { Xoshiro128 } from '../bench/ycsb/prng.ts';
import type { WriteOp } from '../src/storage/engine.ts';
import { dataKey } from '../src/storage/keys.ts';
import { LmdbEngine } from '../src/storage/lmdb.ts';

const valueBytes = 250;
const partitionCount = 64;

const { values: flags } = parseArgs({
  options: {
    'per-commit': { type: 'string', default: '550,2750,5500' },
    writes: { type: 'string', default: '55000' },
    records: { type: 'string', default: '10000' },
    dir: { type: 'string' },
  },
});
const sizes = flags['per-commit'].split(',').map(Number);
const writesTotal = Number(flags.writes);
const records = Number(flags.records);

/** CPU time of this process so far, all threads, in ms (clock ticks of 10 ms). */
function processCpuMs(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

const keys = Array.from({ length: records }, (_, i) => dataKey(i % partitionCount, 'ycsb', `user${i}`));
console.log('writes per commit   distinct keys per commit   CPU per write');
for (const perCommit of sizes) {
  const dir = mkdtempSync(join(flags.dir ?? tmpdir(), 'kvorum-commit-size-'));
  const engine = await LmdbEngine.open({ path: dir });
  try {
    await engine.batch(keys.map((key) => ({ type: 'put', key, value: new Uint8Array(valueBytes).fill(1) })));
    const keyIndex = new ScrambledZipfianGenerator(0, records - 1, new Xoshiro128(7));
    let distinct = 0;
    const startedMs = processCpuMs();
    for (let done = 0; done < writesTotal; done += perCommit) {
      const newest = new Map<number, Uint8Array>();
      for (let i = 0; i < perCommit; i++) newest.set(keyIndex.nextValue(), new Uint8Array(valueBytes).fill(i & 0xff));
      distinct += newest.size;
      const ops: WriteOp[] = [...newest].map(([index, value]) => ({ type: 'put', key: keys[index]!, value }));
      await engine.batch(ops, true);
    }
    const cpuUs = (processCpuMs() - startedMs) * 1000;
    const commits = Math.ceil(writesTotal / perCommit);
    console.log(`${String(perCommit).padStart(17)}   ${String(Math.round(distinct / commits)).padStart(24)}   ${(cpuUs / writesTotal).toFixed(1).padStart(10)} µs`);
  } finally {
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
