/**
 * The write buffer and its write-ahead log under crashes at random points, many seeds: random
 * writes (a few hot keys, deletes, values up to a few hundred bytes), waits for durability,
 * engine commits that fail at random, segments small enough to rotate and be reused often.
 * At the crash, the log's files and the engine's committed state are copied as they are — an
 * append in flight may be torn — and the log is opened over the copies. What comes back must be
 * the state after some prefix of the writes made, at least as long as the writes acknowledged.
 * Then the recovered node writes on, over its reopened log, and crashes again.
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

/** Each key's value after the first `count` writes of `history`, made over `base`. */
function stateAfter(base: ReadonlyMap<string, string | undefined>, history: readonly Write[], count: number): Map<string, string | undefined> {
  const state = new Map(base);
  for (const { key, value } of history.slice(0, count)) state.set(key, value ?? undefined);
  return state;
}

function keysOf(engine: MemoryEngine): Map<string, string | undefined> {
  return new Map(keys.map((key) => [key, engine.get(bytes(key)) === undefined ? undefined : Buffer.from(engine.get(bytes(key))!).toString()]));
}

/** A copy of every entry of `engine`. */
async function entriesOf(engine: MemoryEngine): Promise<WriteOp[]> {
  const ops: WriteOp[] = [];
  for await (const { key, value } of engine.scan({ gte: new Uint8Array(0), lt: Uint8Array.of(0xff) })) ops.push({ type: 'put', key, value });
  return ops;
}

/**
 * Two rounds: writes, a crash, recovery; then more writes over the recovered node (its log
 * reopened over the old segments), a second crash, recovery again.
 */
async function crashRun(seed: number): Promise<void> {
  const random = new Prng(seed);
  let engine = new MemoryEngine();
  let dir = join(root, `seed-${seed}-round-0`);
  let log = await WriteAheadLog.open(dir, engine, { segmentBytes: 2 * walGroupAlignBytes });
  for (let round = 1; round <= 2; round++) {
    const base = keysOf(engine);
    // What the engine holds once a commit has resolved, kept beside it so that a crash can copy it
    // between two awaits; a commit still in flight at the crash is not on the copied disk.
    const committed = new Map<string, WriteOp>((await entriesOf(engine)).map((op) => [Buffer.from(op.key).toString('latin1'), op]));
    const batch = engine.batch.bind(engine);
    engine.batch = async (ops) => {
      if (random.float() < 0.15) throw new Error('disk failed');
      const copies = ops.map((op): WriteOp => (op.type === 'put' ? { type: 'put', key: op.key, value: new Uint8Array(op.value) } : op));
      await batch(ops);
      for (const op of copies) committed.set(Buffer.from(op.key).toString('latin1'), op);
    };
    // Busy or idle at random: appends in libuv's pool (one may be torn by the crash) or on this
    // thread. A stream of its own, so the seed's writes and crash points are those of before.
    const load = new Prng(seed).fork('busy');
    const buffer = new WriteBuffer(engine, { flushIntervalMs: 5, bytesMax: 2_000, log, onCommitError: () => undefined, busy: () => load.chance(0.5) });
    const history: Write[] = [];
    let acknowledged = 0;
    const steps = random.int(20, 120);
    for (let step = 0; step < steps; step++) {
      const choice = random.float();
      if (choice < 0.6) {
        const key = keys[random.int(0, keys.length)]!;
        const value = random.float() < 0.15 ? null : `r${round}s${step}-${'x'.repeat(random.int(0, 400))}`;
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
    const crashDir = join(root, `seed-${seed}-round-${round}`);
    mkdirSync(crashDir);
    for (const name of readdirSync(dir)) {
      try {
        writeFileSync(join(crashDir, name), readFileSync(join(dir, name)));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error; // a spare being deleted
      }
    }
    const disk = [...committed.values()];
    const acknowledgedAtCrash = acknowledged;
    const made = history.length;

    // The process that crashed would stop here; this one lets the buffer end its work first.
    engine.batch = batch;
    await buffer.close();

    engine = new MemoryEngine();
    await engine.batch(disk);
    dir = crashDir;
    log = await WriteAheadLog.open(dir, engine, { segmentBytes: 2 * walGroupAlignBytes });
    const found = keysOf(engine);
    let matches = false;
    for (let count = acknowledgedAtCrash; count <= made && !matches; count++) {
      const expected = stateAfter(base, history, count);
      matches = keys.every((key) => expected.get(key) === found.get(key));
    }
    assert.ok(matches, `seed ${seed} round ${round}: the state after the crash is that of no run of writes from the first, ${acknowledgedAtCrash} acknowledged of ${made} made: ${JSON.stringify([...found].map(([key, value]) => [key, value?.slice(0, 8)]))}`);
    assert.equal(log.recovery.strandedGroups, 0, `seed ${seed} round ${round}: no group stranded without damage`);
  }
  await log.close();
}

describe('write-ahead log under crashes at random points', () => {
  test(`${seeds} seeds: what comes back is the writes made up to a point at or after the last acknowledged one`, async () => {
    for (let seed = 1; seed <= seeds; seed++) await crashRun(seed);
  });
});
