/**
 * How long one durable append takes on this disk, and how that depends on how long the disk sat
 * idle before it: the floor under a durable write's latency at C = 1 (docs/benchmarks.md, "What
 * this machine allows"). Appends like the write-ahead log's (storage/write-ahead-log.ts): a small
 * group, `writeSync` on a zero-filled file opened O_DSYNC, each at the next 4 KiB boundary.
 *
 *   node --import tsx scripts/dsync-latency.ts [--dir DIR] [--bytes 468] [--appends 1000] [--gaps-ms 0,1,5]
 *
 * Prints p50 / p90 / p99 per idle gap. DIR must be on the disk to measure (default: the OS's
 * temporary directory); the file is removed afterwards.
 */
import { closeSync, constants, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';

const fileBytes = 16 * 1024 * 1024;
const alignBytes = 4096;

const { values } = parseArgs({
  options: {
    dir: { type: 'string', default: tmpdir() },
    bytes: { type: 'string', default: '468' },
    appends: { type: 'string', default: '1000' },
    'gaps-ms': { type: 'string', default: '0,1,5' },
  },
});
const groupBytes = Number(values.bytes);
const appends = Number(values.appends);
const gapsMs = values['gaps-ms'].split(',').map(Number);
if (!(Number.isInteger(groupBytes) && groupBytes >= 1 && groupBytes <= alignBytes)) throw new Error(`--bytes must be 1 to ${alignBytes}`);
if (!(Number.isInteger(appends) && appends >= 10)) throw new Error('--appends must be an integer of at least 10');
if (gapsMs.some((gap) => !(gap >= 0))) throw new Error('--gaps-ms must be non-negative numbers');

const dir = mkdtempSync(join(values.dir, 'kvorum-dsync-'));
const path = join(dir, 'segment');
try {
  // Zero-filled first, as the log's segments are: no block is allocated by an append.
  const filling = openSync(path, 'w');
  const zeros = Buffer.alloc(1024 * 1024);
  for (let at = 0; at < fileBytes; at += zeros.length) writeSync(filling, zeros, 0, zeros.length, at);
  closeSync(filling);
  const fd = openSync(path, constants.O_RDWR | constants.O_DSYNC);
  const group = Buffer.alloc(groupBytes, 7);
  let at = 0;
  for (const gapMs of gapsMs) {
    const tookMs: number[] = [];
    for (let i = 0; i < appends; i++) {
      if (gapMs > 0) await sleep(gapMs);
      const started = process.hrtime.bigint();
      writeSync(fd, group, 0, groupBytes, at);
      tookMs.push(Number(process.hrtime.bigint() - started) / 1e6);
      at = at + alignBytes >= fileBytes ? 0 : at + alignBytes;
    }
    tookMs.sort((a, b) => a - b);
    const quantile = (q: number) => tookMs[Math.min(tookMs.length - 1, Math.floor(q * tookMs.length))]!.toFixed(3);
    console.log(`idle ${gapMs} ms before each append of ${groupBytes} bytes: p50 ${quantile(0.5)} ms  p90 ${quantile(0.9)} ms  p99 ${quantile(0.99)} ms  (${appends} appends)`);
  }
  closeSync(fd);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
