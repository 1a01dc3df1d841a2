import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BenchResult, RunResult } from '../result.ts';
import { resultSchema } from '../result.ts';
import { checkTargets, computeRatios } from './compare.ts';
import { renderMarkdown } from './markdown.ts';
import { niceMax, renderSvg } from './svg.ts';

/** One second of a run; `serversS` CPU seconds of its servers; updates twice as slow as reads at the median. */
function run(target: string, workload: 'a' | 'c', concurrency: number, opsPerSec: number, p50Ms: number, p99Ms: number, serversS = 0.7): RunResult {
  const [system, driver] = target.split('/') as [string, string];
  const latency = { count: opsPerSec, meanMs: p50Ms, p50Ms, p99Ms, p999Ms: p99Ms * 2, maxMs: p99Ms * 3 };
  return {
    system, driver, target, workload, concurrency, warmupS: 1, durationS: 1, ops: opsPerSec, opsPerSec, errors: 0, errorSamples: [],
    latency, byOperation: { read: { ...latency, errors: 0 }, update: { ...latency, p50Ms: p50Ms * 2, errors: 0 } },
    cpu: { harnessS: 0.5, servers: [{ pid: 1, name: 's', seconds: serversS }], serversS, machineBusyFraction: 0.9, interruptsS: 0.1, otherS: 0 },
    histogram: 'x',
    counters: {},
  };
}

const runs: RunResult[] = [
  run('kvorum/client', 'a', 64, 40_000, 1, 4),
  run('kvorum/client', 'a', 1, 3_000, 0.3, 1),
  run('kvorum/http', 'a', 64, 30_000, 1.5, 6),
  run('redis/ioredis', 'a', 64, 100_000, 0.5, 1.5),
  run('etcd/etcd3', 'a', 64, 3_000, 20, 70),
  run('etcd/gateway', 'a', 64, 3_500, 18, 60),
];

test('targets: pass and short are decided against Redis, the best etcd driver, CPU per op and update p50 by durability', () => {
  const withSync = [...runs, run('kvorum/binary-sync', 'a', 64, 20_000, 2, 8, 3.0), run('kvorum/binary-sync', 'a', 1, 1_000, 0.4, 2)];
  const byName = Object.fromEntries(checkTargets(withSync).map((t) => [t.name, t.status]));
  assert.equal(byName['YCSB-A C=64 ops/s vs Redis'], 'pass'); // 0.4× ≥ 0.25×
  assert.equal(byName['YCSB-A C=64 ops/s vs etcd'], 'pass'); // 40k ≥ 5 × 3.5k (the gateway, etcd's best)
  assert.equal(byName['YCSB-A C=64 p99 vs Redis'], 'pass'); // 4 ms ≤ 3 × 1.5 ms
  assert.equal(byName['YCSB-A C=64 server CPU per op, one'], 'pass'); // 0.7 s / 40k = 17.5 µs
  assert.equal(byName['YCSB-A C=64 server CPU per op, sync'], 'short'); // 3 s / 20k = 150 µs > 120
  assert.equal(byName['YCSB-A C=1 update p50, one'], 'short'); // updates 2 × 0.3 = 0.6 ms ≥ 0.5
  assert.equal(byName['YCSB-A C=1 update p50, sync'], 'pass'); // 2 × 0.4 = 0.8 ms < 1.0
  const faster = runs.map((r) => (r.target === 'etcd/gateway' ? run('etcd/gateway', 'a', 64, 9_000, 18, 60) : r));
  assert.equal(checkTargets(faster).find((t) => t.name === 'YCSB-A C=64 ops/s vs etcd')!.status, 'short');
  assert.equal(checkTargets(runs).find((t) => t.name === 'YCSB-A C=64 server CPU per op, sync')!.status, 'n/a', 'no sync run');
  assert.ok(checkTargets([]).every((t) => t.status === 'n/a'));
});

test('with the floors in the run, each target is judged on the floor of its durability too', () => {
  const withFloors = [
    ...runs,
    run('kvorum/binary-sync', 'a', 64, 20_000, 2, 8, 3.0),
    run('floor/framed-one', 'a', 64, 16_000, 1, 4, 0.8),
    run('floor/framed-one', 'a', 1, 3_000, 0.2, 1),
    run('floor/framed-sync', 'a', 64, 30_000, 1, 3, 2.4),
  ];
  const byName = Object.fromEntries(checkTargets(withFloors).map((t) => [t.name, t]));
  assert.deepEqual(byName['YCSB-A C=64 ops/s vs Redis']!.floor, { measured: '0.160× (16000 vs 100000 ops/s)', status: 'short' });
  assert.equal(byName['YCSB-A C=64 ops/s vs Redis']!.status, 'pass', "kvorum's own judgement is unchanged");
  assert.equal(byName['YCSB-A C=64 ops/s vs etcd']!.floor!.status, 'short'); // 16k < 5 × 3.5k
  assert.equal(byName['YCSB-A C=64 server CPU per op, one']!.floor!.measured, '50.0 µs (floor/framed-one)');
  assert.equal(byName['YCSB-A C=64 server CPU per op, sync']!.floor!.measured, '80.0 µs (floor/framed-sync)');
  assert.deepEqual(byName['YCSB-A C=1 update p50, one']!.floor, { measured: '0.400 ms', status: 'pass' });
  assert.equal(byName['YCSB-A C=1 update p50, sync']!.floor!.status, 'n/a', 'no floor/framed-sync run at C = 1');
  assert.ok(checkTargets(runs).every((t) => t.floor === undefined), 'no floor in the run: no floor column');
  const syncFloorOnly = Object.fromEntries(checkTargets([...runs, run('floor/framed-sync', 'a', 64, 30_000, 1, 3, 2.4)]).map((t) => [t.name, t.floor]));
  assert.equal(syncFloorOnly['YCSB-A C=64 server CPU per op, sync']!.status, 'pass', 'the sync floor alone is judged');
  assert.equal(syncFloorOnly['YCSB-A C=64 server CPU per op, one']!.status, 'n/a');
});

test('ratios: kvorum to each peer, client routing, and the etcd client check', () => {
  const ratios = computeRatios(runs);
  const find = (n: string, d: string) => ratios.find((r) => r.numerator === n && r.denominator === d && r.concurrency === 64);
  assert.equal(find('kvorum/client', 'redis/ioredis')!.opsRatio, 0.4);
  assert.equal(find('kvorum/client', 'etcd/gateway')!.opsRatio, 11.429);
  assert.equal(find('kvorum/http', 'kvorum/client')!.p99Ratio, 1.5);
  assert.equal(find('etcd/gateway', 'etcd/etcd3')!.opsRatio, 1.167);
});

test('each kvorum mode is compared with the floor of its durability, server CPU per op included', () => {
  const withFloor = [
    ...runs,
    run('kvorum/binary', 'a', 64, 10_000, 4, 12, 1.1),
    run('kvorum/binary-sync', 'a', 64, 8_000, 5, 15, 1.0),
    run('kvorum/binary-buffered', 'a', 64, 12_000, 3, 10, 1.2),
    run('floor/framed-nosync', 'a', 64, 40_000, 1, 6, 1.6),
    run('floor/framed-one', 'a', 64, 32_000, 1.5, 7, 1.6),
    run('floor/framed-sync', 'a', 64, 25_000, 2, 8, 1.5),
  ];
  const ratios = computeRatios(withFloor);
  const find = (n: string, d: string) => ratios.find((r) => r.numerator === n && r.denominator === d && r.concurrency === 64);
  assert.equal(find('kvorum/binary-buffered', 'floor/framed-nosync')!.cpuRatio, 2.5); // 100 µs ÷ 40 µs
  assert.equal(find('kvorum/binary', 'floor/framed-one')!.cpuRatio, 2.2); // 110 ÷ 50
  assert.equal(find('kvorum/binary', 'floor/framed-nosync'), undefined, 'one is read against the floor that logs one copy');
  assert.equal(find('kvorum/binary', 'floor/framed-sync'), undefined);
  assert.equal(find('kvorum/binary-sync', 'floor/framed-sync')!.opsRatio, 0.32);
  assert.equal(find('kvorum/binary-sync', 'floor/framed-nosync'), undefined, 'sync is not read against a floor without fdatasync');
  assert.equal(find('kvorum/binary-buffered', 'floor/framed-sync'), undefined, 'nor buffered against one with it');
  assert.equal(find('kvorum/binary', 'redis/ioredis')!.cpuRatio, 15.714, 'every ratio carries the CPU one: 110 µs ÷ 7 µs');
});

test('with the binary driver in the run, it is kvorum\'s row, and HTTP is compared with it', () => {
  const withBinary = [...runs, run('kvorum/binary', 'a', 64, 50_000, 0.8, 3), run('kvorum/binary', 'a', 1, 4_000, 0.2, 1)];
  const ratios = computeRatios(withBinary);
  const find = (n: string, d: string) => ratios.find((r) => r.numerator === n && r.denominator === d && r.concurrency === 64);
  assert.equal(find('kvorum/binary', 'redis/ioredis')!.opsRatio, 0.5);
  assert.equal(find('kvorum/client', 'kvorum/binary')!.opsRatio, 0.8);
  assert.equal(find('kvorum/client', 'redis/ioredis'), undefined);
  assert.equal(checkTargets(withBinary).find((t) => t.name === 'YCSB-A C=64 ops/s vs Redis')!.status, 'pass');
  assert.equal(checkTargets(withBinary).find((t) => t.name === 'YCSB-A C=1 update p50, one')!.status, 'pass', 'the binary row: 0.4 ms');
});

test('markdown and svg render every run', () => {
  const result: BenchResult = {
    schema: resultSchema, title: 't', startedAt: '2026-01-01T00:00:00.000Z', finishedAt: '2026-01-01T00:01:00.000Z', command: 'npm run bench',
    options: { systems: [], drivers: undefined, workloads: ['a'], concurrency: [1, 64], durationS: 1, warmupS: 1, records: 10, loadConcurrency: 1, valueLayout: 'single', valueBytes: 100, seed: 1 },
    machine: { cpus: 2, cpuModel: 'cpu', memoryGiB: 1, node: '20', os: 'Linux' },
    systems: [], loads: [], runs, ratios: computeRatios(runs), targets: checkTargets(runs), failures: [],
  };
  const markdown = renderMarkdown(result, 'chart.svg');
  for (const r of runs) assert.ok(markdown.includes(`| ${r.target} | ${r.concurrency} |`), r.target);
  assert.match(markdown, /\*\*short\*\*/);
  assert.ok(markdown.includes('| target | goal | measured | status |\n'), 'no floor in the run: four columns');
  const withFloorRuns = [...runs, run('floor/framed-one', 'a', 64, 16_000, 1, 4, 0.8)];
  const withFloor = renderMarkdown({ ...result, runs: withFloorRuns, targets: checkTargets(withFloorRuns) }, 'chart.svg');
  assert.ok(withFloor.includes("| target | goal | measured | status | the floor | the floor's status |\n| --- | --- | --- | --- | --- | --- |\n"));
  assert.ok(withFloor.includes('| **pass** | 50.0 µs (floor/framed-one) | pass |'), 'the floor judged beside kvorum, one target to a row');
  const svg = renderSvg(result);
  assert.equal((svg.match(/<rect [^>]*fill="#/g) ?? []).length, runs.length * 2 + new Set(runs.map((r) => r.target)).size);
  assert.equal(niceMax(66_000), 100_000);
  assert.equal(niceMax(1.3), 2);
});

test('latency summary: percentiles never exceed the largest recorded value', async () => {
  const { LatencyRecorder } = await import('../latency.ts');
  const recorder = new LatencyRecorder();
  for (const ms of [1, 2, 3, 30.268]) recorder.recordMs(ms);
  const s = recorder.summary();
  assert.equal(s.count, 4);
  assert.ok(s.p50Ms <= s.p99Ms && s.p99Ms <= s.p999Ms && s.p999Ms <= s.maxMs, JSON.stringify(s));
  assert.ok(Math.abs(s.maxMs - 30.268) < 0.05);
  recorder.destroy();
});
