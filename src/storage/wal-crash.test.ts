/**
 * The write buffer and its write-ahead log under crashes at random points, many seeds: random
 * writes (a few hot keys, deletes, values up to a few hundred bytes), waits for durability,
 * engine commits that fail at random, segments small enough to rotate and be reused often.
 * At the crash, the log's files and the engine's committed state are copied as they are — an
 * append in flight may be torn — and the log is opened over the copies. What comes back must be
 * the state after some prefix of the writes made, at least as long as the writes acknowledged.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Prng } from '../sim/prng.ts';
import type { WriteOp } from './engine.ts';
import { MemoryEngine } from './memory.ts';
import { walGroupAlignBytes, WriteAheadLog } from './write-ahead-log.ts';
import { WriteBuffer } from './write-buffer.ts';

const seeds = 40;
const keys = ['k0', 'k1', 'k2', 'k3', 'k4'];
const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const root = mkdtempSync(join(tmpdir(), 'kvorum-wal-crash-'));
after(() => rmSync(root, { recursive: true, force: true }));

interface Write {
  readonly key: string;
  readonly value: string | null;
}

/** Each key's value after the first `count` writes (undefined: never written, or deleted). */
function stateAfter(history: readonly Write[], count: number): Map<string, string | undefined> {
  const state = new Map<string, string | undefined>(keys.map((key) => [key, undefined]));
  for (const { key, value } of history.slice(0, count)) state.set(key, value ?? undefined);
  return state;
}

async function crashRun(seed: number): Promise<void> {
  const random = new Prng(seed);
  const dir = join(root, `seed-${seed}`);
  const engine = new MemoryEngine();
  // What the engine holds, kept beside it so that a crash can copy it between two awaits.
  const committed = new Map<string, WriteOp>();
  const batch = engine.batch.bind(engine);
  engine.batch = async (ops) => {
    if (random.float() < 0.15) throw new Error('disk failed');
    for (const op of ops) committed.set(Buffer.from(op.key).toString('latin1'), op.type === 'put' ? { type: 'put', key: op.key, value: new Uint8Array(op.value) } : op);
    return batch(ops);
  };
  const log = await WriteAheadLog.open(dir, engine, { segmentBytes: 2 * walGroupAlignBytes });
  const buffer = new WriteBuffer(engine, { flushIntervalMs: 5, bytesMax: 2_000, log, onCommitError: () => undefined });
  const history: Write[] = [];
  let acknowledged = 0;
  const steps = random.int(20, 120);
  for (let step = 0; step < steps; step++) {
    const choice = random.float();
    if (choice < 0.6) {
      const key = keys[random.int(0, keys.length)]!;
      const value = random.float() < 0.15 ? null : `v${step}-${'x'.repeat(random.int(0, 400))}`;
      buffer.write([value === null ? { type: 'delete', key: bytes(key) } : { type: 'put', key: bytes(key), value: bytes(value) }]);
      history.push({ key, value });
    } else if (choice < 0.8) {
      const made = history.length;
      buffer.flushed().then(
        () => (acknowledged = Math.max(acknowledged, made)),
        () => undefined,
      );
    } else if (choice < 0.9) buffer.committed().catch(() => undefined);
    else await sleep(random.int(0, 4));
  }
  await sleep(random.int(0, 3));

  // The crash: the disk as it is now.
  const crashDir = join(root, `seed-${seed}-crash`);
  mkdirSync(crashDir);
  for (const name of readdirSync(dir)) writeFileSync(join(crashDir, name), readFileSync(join(dir, name)));
  const disk = [...committed.values()];
  const acknowledgedAtCrash = acknowledged;
  const made = history.length;

  // The process that crashed would stop here; this one lets the buffer end its work first.
  engine.batch = batch;
  await buffer.close();

  const recovered = new MemoryEngine();
  await recovered.batch(disk);
  const reopened = await WriteAheadLog.open(crashDir, recovered);
  await reopened.close();
  const found = new Map(keys.map((key) => [key, recovered.get(bytes(key)) === undefined ? undefined : Buffer.from(recovered.get(bytes(key))!).toString()]));
  const prefixes: number[] = [];
  for (let count = acknowledgedAtCrash; count <= made; count++) {
    const expected = stateAfter(history, count);
    if (keys.every((key) => expected.get(key) === found.get(key))) prefixes.push(count);
  }
  assert.ok(prefixes.length > 0, `seed ${seed}: the state after the crash is that of no run of writes from the first, ${acknowledgedAtCrash} acknowledged of ${made} made: ${JSON.stringify([...found].map(([key, value]) => [key, value?.slice(0, 8)]))}`);
}

describe('write-ahead log under crashes at random points', () => {
  test(`${seeds} seeds: what comes back is the writes made up to a point at or after the last acknowledged one`, async () => {
    for (let seed = 1; seed <= seeds; seed++) await crashRun(seed);
  });
});
