/**
 * Ratios of kvorum to its peers, and the targets of issue 10 §5, computed from a run's rows.
 * kvorum is measured through its TypeScript client as users get it: over the binary protocol
 * (`kvorum/binary`), or over HTTP (`kvorum/client`) in a run without the binary driver; etcd
 * through whichever of its drivers did better in that cell, so the comparison is against etcd
 * at its best here.
 */
import { round3 } from '../cpu.ts';
import type { Ratio, RunResult, TargetCheck } from '../result.ts';
import type { WorkloadName } from '../ycsb/workloads.ts';

/** The client's default protocol first: the first of these in a run is kvorum's row. */
export const kvorumTargets = ['kvorum/binary', 'kvorum/client'] as const;

export function kvorumTargetOf(runs: readonly RunResult[]): string {
  return kvorumTargets.find((target) => runs.some((run) => run.target === target)) ?? kvorumTargets[0];
}

export const redisSystem = 'redis';
export const etcdSystem = 'etcd';
/**
 * kvorum's modes beside the floor store (bench/systems/floor.ts): how far kvorum's cost is above
 * what this design costs at least, on this box, in this run — each mode against the floor of its
 * own durability.
 */
export const floorComparisons: readonly (readonly [kvorum: string, floor: string])[] = [
  ['kvorum/binary-buffered', 'floor/framed-nosync'],
  ['kvorum/binary', 'floor/framed-one'],
  ['kvorum/binary-sync', 'floor/framed-sync'],
];

/** Issue 10 §5, on YCSB-A. */
export const targetWorkload: WorkloadName = 'a';
export const targetHighConcurrency = 64;
export const targetLowConcurrency = 1;
export const opsVsRedisMin = 0.25;
export const opsVsEtcdMin = 5;
export const p99VsRedisMax = 3;
/** The binary client under `sync` (every copy of W on disk before it counts: docs/durability.md). */
export const kvorumSyncTarget = 'kvorum/binary-sync';
/** Server CPU per YCSB-A operation at C = 64, summed over the three nodes: under `sync`, and under `one`. */
export const cpuUsPerOpSyncMax = 120;
export const cpuUsPerOpOneMax = 90;
/** p50 of updates at C = 1: under `one`, and under `sync`. */
export const updateP50OneMsMax = 0.5;
export const updateP50SyncMsMax = 1.0;

function cell(runs: readonly RunResult[], workload: WorkloadName, concurrency: number): RunResult[] {
  return runs.filter((r) => r.workload === workload && r.concurrency === concurrency);
}

/** The best run of a system in a cell (most ops/s), or undefined. */
export function bestOf(runs: readonly RunResult[], system: string, workload: WorkloadName, concurrency: number): RunResult | undefined {
  return cell(runs, workload, concurrency)
    .filter((r) => r.system === system)
    .sort((a, b) => b.opsPerSec - a.opsPerSec)[0];
}

export function findRun(runs: readonly RunResult[], target: string, workload: WorkloadName, concurrency: number): RunResult | undefined {
  return cell(runs, workload, concurrency).find((r) => r.target === target);
}

function ratio(numerator: RunResult, denominator: RunResult): Ratio {
  return {
    workload: numerator.workload,
    concurrency: numerator.concurrency,
    numerator: numerator.target,
    denominator: denominator.target,
    opsRatio: safeRatio(numerator.opsPerSec, denominator.opsPerSec),
    p99Ratio: safeRatio(numerator.latency.p99Ms, denominator.latency.p99Ms),
    p999Ratio: safeRatio(numerator.latency.p999Ms, denominator.latency.p999Ms),
    cpuRatio: safeRatio(serverCpuUsPerOp(numerator), serverCpuUsPerOp(denominator)),
  };
}

function safeRatio(numerator: number, denominator: number): number {
  return denominator > 0 ? round3(numerator / denominator) : Number.POSITIVE_INFINITY;
}

/** numerator ÷ denominator for every cell where both targets ran (e.g. kvorum/http ÷ kvorum/client). */
export function ratiosBetween(runs: readonly RunResult[], numeratorTarget: string, denominatorTarget: string): Ratio[] {
  const ratios: Ratio[] = [];
  for (const run of runs) {
    if (run.target !== numeratorTarget) continue;
    const other = findRun(runs, denominatorTarget, run.workload, run.concurrency);
    if (other) ratios.push(ratio(run, other));
  }
  return ratios;
}

/** kvorum (through its client) ÷ Redis, and ÷ etcd at its best driver, per workload and C. */
export function computeRatios(runs: readonly RunResult[], numeratorTarget: string = kvorumTargetOf(runs)): Ratio[] {
  const ratios: Ratio[] = [];
  for (const run of runs) {
    if (run.target !== numeratorTarget) continue;
    for (const peer of [redisSystem, etcdSystem]) {
      const other = bestOf(runs, peer, run.workload, run.concurrency);
      if (other) ratios.push(ratio(run, other));
    }
  }
  // What the client's routing buys: the same cluster through the HTTP API of any node.
  ratios.push(...ratiosBetween(runs, 'kvorum/http', numeratorTarget));
  // What the binary protocol buys: the same client, the same routing, over HTTP.
  if (numeratorTarget !== 'kvorum/client') ratios.push(...ratiosBetween(runs, 'kvorum/client', numeratorTarget));
  // Whether the etcd3 client (gRPC in JavaScript) holds etcd back: its HTTP/JSON gateway beside it.
  ratios.push(...ratiosBetween(runs, 'etcd/gateway', 'etcd/etcd3'));
  for (const [kvorum, floor] of floorComparisons) ratios.push(...ratiosBetween(runs, kvorum, floor));
  return ratios;
}

function check(name: string, goal: string, measure: () => { ok: boolean; measured: string } | undefined): TargetCheck {
  const outcome = measure();
  if (!outcome) return { name, goal, measured: 'not measured in this run', status: 'n/a' };
  return { name, goal, measured: outcome.measured, status: outcome.ok ? 'pass' : 'short' };
}

/**
 * Server CPU µs per operation of a run (every server process summed); on a median row of
 * several rounds, the median of the rounds' (report/rounds.ts). A run without operations costs ∞.
 */
export function serverCpuUsPerOp(run: RunResult): number {
  if (run.spread !== undefined) return run.spread.serverCpuUsPerOp.median;
  return run.ops > 0 ? (run.cpu.serversS * 1e6) / run.ops : Number.POSITIVE_INFINITY;
}

export function checkTargets(runs: readonly RunResult[]): TargetCheck[] {
  const w = targetWorkload;
  const high = targetHighConcurrency;
  const low = targetLowConcurrency;
  const kvorumTarget = kvorumTargetOf(runs);
  const kvHigh = findRun(runs, kvorumTarget, w, high);
  const syncHigh = findRun(runs, kvorumSyncTarget, w, high);
  const redisHigh = bestOf(runs, redisSystem, w, high);
  const etcdHigh = bestOf(runs, etcdSystem, w, high);
  const kvLowUpdate = findRun(runs, kvorumTarget, w, low)?.byOperation.update;
  const syncLowUpdate = findRun(runs, kvorumSyncTarget, w, low)?.byOperation.update;
  const where = `YCSB-${w.toUpperCase()} C=${high}`;
  const cpuCheck = (run: RunResult | undefined, max: number) => () =>
    run ? { ok: serverCpuUsPerOp(run) <= max, measured: `${fmt(serverCpuUsPerOp(run))} µs (${run.target})` } : undefined;
  const p50Check = (update: { p50Ms: number } | undefined, max: number) => () => (update ? { ok: update.p50Ms < max, measured: `${fmt(update.p50Ms)} ms` } : undefined);
  return [
    check(`${where} ops/s vs Redis`, `kvorum ≥ ${opsVsRedisMin}× Redis`, () =>
      kvHigh && redisHigh
        ? { ok: kvHigh.opsPerSec >= opsVsRedisMin * redisHigh.opsPerSec, measured: `${fmt(kvHigh.opsPerSec / redisHigh.opsPerSec)}× (${kvHigh.opsPerSec} vs ${redisHigh.opsPerSec} ops/s)` }
        : undefined,
    ),
    check(`${where} ops/s vs etcd`, `kvorum ≥ ${opsVsEtcdMin}× etcd`, () =>
      kvHigh && etcdHigh
        ? { ok: kvHigh.opsPerSec >= opsVsEtcdMin * etcdHigh.opsPerSec, measured: `${fmt(kvHigh.opsPerSec / etcdHigh.opsPerSec)}× (${kvHigh.opsPerSec} vs ${etcdHigh.target} ${etcdHigh.opsPerSec} ops/s)` }
        : undefined,
    ),
    check(`${where} p99 vs Redis`, `kvorum p99 ≤ ${p99VsRedisMax}× Redis's`, () =>
      kvHigh && redisHigh
        ? { ok: kvHigh.latency.p99Ms <= p99VsRedisMax * redisHigh.latency.p99Ms, measured: `${fmt(kvHigh.latency.p99Ms / redisHigh.latency.p99Ms)}× (${fmt(kvHigh.latency.p99Ms)} vs ${fmt(redisHigh.latency.p99Ms)} ms)` }
        : undefined,
    ),
    check(`${where} server CPU per op, one`, `≤ ${cpuUsPerOpOneMax} µs over the 3 nodes`, cpuCheck(kvHigh, cpuUsPerOpOneMax)),
    check(`${where} server CPU per op, sync`, `≤ ${cpuUsPerOpSyncMax} µs over the 3 nodes`, cpuCheck(syncHigh, cpuUsPerOpSyncMax)),
    check(`YCSB-${w.toUpperCase()} C=${low} update p50, one`, `< ${updateP50OneMsMax} ms`, p50Check(kvLowUpdate, updateP50OneMsMax)),
    check(`YCSB-${w.toUpperCase()} C=${low} update p50, sync`, `< ${updateP50SyncMsMax} ms`, p50Check(syncLowUpdate, updateP50SyncMsMax)),
  ];
}

export function fmt(x: number): string {
  if (!Number.isFinite(x)) return '∞';
  if (x >= 100) return x.toFixed(0);
  if (x >= 10) return x.toFixed(1);
  if (x >= 1) return x.toFixed(2);
  return x.toFixed(3);
}
