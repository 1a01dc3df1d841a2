import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runBench } from './bench.ts';
import { parseOptions } from './options.ts';
import { checkTargets, computeRatios } from './report/compare.ts';
import { medianRuns } from './report/rounds.ts';
import type { GcPauses } from './gc.ts';
import type { BenchResult } from './result.ts';
import { YcsbAdapter, type SystemLauncher } from './systems/adapter.ts';

/**
 * A store in this process that answers after `delayMs` (0: at once): the harness's own loop,
 * rounds and report are what these tests exercise, not a store.
 */
class InProcessAdapter extends YcsbAdapter {
  constructor(private readonly delayMs: () => number) {
    super();
  }
  async read(): Promise<void> {
    await sleep(this.delayMs());
  }
  async update(): Promise<void> {
    await sleep(this.delayMs());
  }
  async close(): Promise<void> {}
}

/** A system whose answers take longer in every round it is started in: its rounds must differ. */
function launcher(system: string, driver: string, delayMsOfRound: (round: number) => number, gcPauses?: () => Promise<GcPauses>): SystemLauncher {
  let round = 0;
  return {
    name: system,
    async start() {
      round++;
      const delayMs = delayMsOfRound(round);
      return {
        name: system,
        version: '1',
        description: `${system} in this process`,
        drivers: [{ name: driver, description: driver, dataset: 'ycsb', connect: async () => new InProcessAdapter(() => delayMs) }],
        serverProcesses: new Map(),
        ...(gcPauses ? { gcPauses } : {}),
        stop: async () => {},
      };
    },
  };
}

/** `npm run bench` in this process: `flags` (quiet, no setup) and the launchers, into a directory removed afterwards. */
async function benchOf(title: string, flags: readonly string[], launchers: readonly SystemLauncher[]): Promise<{ result: BenchResult; markdown: string; json: string }> {
  const outDir = mkdtempSync(join(tmpdir(), 'kvorum-bench-test-'));
  try {
    const options = parseOptions([...flags, '--no-setup', '--quiet', '--out-dir', outDir]);
    const spec = { title, filePrefix: '', launchers, needsSetup: false, ratios: computeRatios, targets: checkTargets };
    const { result, files } = await runBench(spec, options, 'test');
    return { result, markdown: readFileSync(files.markdown, 'utf8'), json: readFileSync(files.json, 'utf8') };
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

/** One short cell: YCSB-A, two requests in flight. */
const oneCellFlags = ['--workloads', 'a', '--concurrency', '2', '--duration-s', '0.2', '--warmup-s', '0', '--records', '10'];

test('with --rounds, every system runs once per round, and ratios and targets are judged on the medians', async () => {
  const flags = ['--workloads', 'a', '--concurrency', '1,64', '--duration-s', '0.3', '--warmup-s', '0', '--records', '20', '--rounds', '3'];
  const { result, json } = await benchOf('rounds', flags, [launcher('kvorum', 'binary', (round) => round), launcher('redis', 'ioredis', () => 0)]);
  assert.deepEqual(
    result.runs.map((r) => `${r.target}#${r.round} C=${r.concurrency}`),
    [1, 2, 3].flatMap((round) => [`kvorum/binary#${round} C=1`, `kvorum/binary#${round} C=64`, `redis/ioredis#${round} C=1`, `redis/ioredis#${round} C=64`]),
    'round-major',
  );
  assert.deepEqual(result.loads.map((l) => l.round), [1, 1, 2, 2, 3, 3]);
  assert.deepEqual(result.systems.map((s) => s.name), ['kvorum', 'redis'], 'each system listed once');
  const kvorumOps = result.runs.filter((r) => r.system === 'kvorum' && r.concurrency === 64).map((r) => r.opsPerSec);
  assert.ok(kvorumOps[0]! > kvorumOps[2]!, `rounds slow down: ${kvorumOps.join(', ')}`);
  assert.deepEqual(result.medians, medianRuns(result.runs));
  assert.deepEqual(result.ratios, computeRatios(medianRuns(result.runs)));
  assert.deepEqual(result.targets, checkTargets(medianRuns(result.runs)));
  assert.notDeepEqual(result.ratios, computeRatios(result.runs), 'the first round alone would say otherwise');
  const written = JSON.parse(json) as BenchResult;
  assert.equal(written.options.rounds, 3);
  assert.equal(written.medians!.length, 4);
  assert.ok(result.targets.filter((t) => t.status !== 'n/a').length >= 4, 'the targets were measured');
});

test('without --rounds a result is as it was: no round on any row, no medians', async () => {
  const { result } = await benchOf('one', oneCellFlags, [launcher('kvorum', 'binary', () => 0)]);
  assert.equal(result.runs.length, 1);
  assert.equal(result.runs[0]!.round, undefined);
  assert.equal(result.loads[0]!.round, undefined);
  assert.equal(result.medians, undefined);
  assert.deepEqual(result.targets, checkTargets(result.runs));
});

test("a system that reports its processes' GC pauses gets them per run, and the report shows them; one that does not, neither", async () => {
  let samples = 0;
  // Each sample reports one more step of pauses: a run's are what one step adds.
  const gcPauses = async (): Promise<GcPauses> => {
    samples++;
    return { youngCount: 10 * samples, youngS: 0.01 * samples, fullCount: samples, fullS: 0.002 * samples };
  };
  const { result, markdown } = await benchOf('gc', oneCellFlags, [launcher('kvorum', 'binary', () => 0, gcPauses), launcher('redis', 'ioredis', () => 0)]);
  const [kvorum, redis] = result.runs;
  assert.equal(samples, 2, 'sampled before and after the timed part');
  assert.deepEqual(kvorum!.gc, { youngCount: 10, youngS: 0.01, fullCount: 1, fullS: 0.002 });
  assert.equal(redis!.gc, undefined);
  assert.match(markdown, /## Server GC pauses/);
  assert.match(markdown, /\| kvorum\/binary A C=2 \| 10 \| 10\.000 \| 1 \| 2\.000 \|/);
  assert.doesNotMatch(markdown, /\| redis\/ioredis A C=2 \| \d/);
});
