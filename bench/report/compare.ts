/**
 * Ratios of kvorum to its peers, and the targets of issue 10 §5, computed from a run's rows.
 * kvorum is measured through its TypeScript client as users get it: over the binary protocol
 * (`kvorum/binary`), or over HTTP (`kvorum/client`) in a run without the binary driver; etcd
 * through whichever of its drivers did better in that cell, so the comparison is against etcd
 * at its best here.
 */
import { round3 } from '../cpu.ts';
import type { Ratio, RunResult, TargetCheck, TargetStatus } from '../result.ts';
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

type Judged = { readonly ok: boolean; readonly measured: string } | undefined;

function judged(outcome: Judged): { measured: string; status: TargetStatus } {
  return outcome ? { measured: outcome.measured, status: outcome.ok ? 'pass' : 'short' } : { measured: 'not measured in this run', status: 'n/a' };
}

/**
 * Server CPU µs per operation of a run (every server process summed); on a median row of
 * several rounds, the median of the rounds' (report/rounds.ts). A run without operations costs ∞.
 */
export function serverCpuUsPerOp(run: RunResult): number {
  if (run.spread !== undefined) return run.spread.serverCpuUsPerOp.median;
  return run.ops > 0 ? (run.cpu.serversS * 1e6) / run.ops : Number.POSITIVE_INFINITY;
}

/** The floor of each durability the targets judge (bench/systems/floor.ts). */
export const floorOneTarget = 'floor/framed-one';
export const floorSyncTarget = 'floor/framed-sync';

/**
 * Issue 10 §5's targets, each judged on kvorum and — where the run has it — on the floor of the
 * same durability, so a report shows which targets even the least this design costs on this box
 * would miss.
 */
export function checkTargets(runs: readonly RunResult[]): TargetCheck[] {
  const hasFloor = runs.some((run) => run.target === floorOneTarget || run.target === floorSyncTarget);
  const ofKvorum = judgeTargets(runs, kvorumTargetOf(runs), kvorumSyncTarget);
  const ofFloor = hasFloor ? judgeTargets(runs, floorOneTarget, floorSyncTarget) : undefined;
  return ofKvorum.map(({ name, goal, outcome }, i) => ({
    name,
    goal,
    ...judged(outcome),
    ...(ofFloor === undefined ? {} : { floor: judged(ofFloor[i]!.outcome) }),
  }));
}

/** The targets judged on `oneTarget` (a store under `one`) and `syncTarget` (under `sync`). */
function judgeTargets(runs: readonly RunResult[], oneTarget: string, syncTarget: string): { name: string; goal: string; outcome: Judged }[] {
  const w = targetWorkload;
  const high = targetHighConcurrency;
  const low = targetLowConcurrency;
  const oneHigh = findRun(runs, oneTarget, w, high);
  const syncHigh = findRun(runs, syncTarget, w, high);
  const redisHigh = bestOf(runs, redisSystem, w, high);
  const etcdHigh = bestOf(runs, etcdSystem, w, high);
  const oneLowUpdate = findRun(runs, oneTarget, w, low)?.byOperation.update;
  const syncLowUpdate = findRun(runs, syncTarget, w, low)?.byOperation.update;
  const where = `YCSB-${w.toUpperCase()} C=${high}`;
  const cpuCheck = (run: RunResult | undefined, max: number): Judged =>
    run ? { ok: serverCpuUsPerOp(run) <= max, measured: `${fmt(serverCpuUsPerOp(run))} µs (${run.target})` } : undefined;
  const p50Check = (update: { p50Ms: number } | undefined, max: number): Judged => (update ? { ok: update.p50Ms < max, measured: `${fmt(update.p50Ms)} ms` } : undefined);
  return [
    {
      name: `${where} ops/s vs Redis`,
      goal: `kvorum ≥ ${opsVsRedisMin}× Redis`,
      outcome:
        oneHigh && redisHigh
          ? { ok: oneHigh.opsPerSec >= opsVsRedisMin * redisHigh.opsPerSec, measured: `${fmt(oneHigh.opsPerSec / redisHigh.opsPerSec)}× (${oneHigh.opsPerSec} vs ${redisHigh.opsPerSec} ops/s)` }
          : undefined,
    },
    {
      name: `${where} ops/s vs etcd`,
      goal: `kvorum ≥ ${opsVsEtcdMin}× etcd`,
      outcome:
        oneHigh && etcdHigh
          ? { ok: oneHigh.opsPerSec >= opsVsEtcdMin * etcdHigh.opsPerSec, measured: `${fmt(oneHigh.opsPerSec / etcdHigh.opsPerSec)}× (${oneHigh.opsPerSec} vs ${etcdHigh.target} ${etcdHigh.opsPerSec} ops/s)` }
          : undefined,
    },
    {
      name: `${where} p99 vs Redis`,
      goal: `kvorum p99 ≤ ${p99VsRedisMax}× Redis's`,
      outcome:
        oneHigh && redisHigh
          ? { ok: oneHigh.latency.p99Ms <= p99VsRedisMax * redisHigh.latency.p99Ms, measured: `${fmt(oneHigh.latency.p99Ms / redisHigh.latency.p99Ms)}× (${fmt(oneHigh.latency.p99Ms)} vs ${fmt(redisHigh.latency.p99Ms)} ms)` }
          : undefined,
    },
    { name: `${where} server CPU per op, one`, goal: `≤ ${cpuUsPerOpOneMax} µs over the 3 nodes`, outcome: cpuCheck(oneHigh, cpuUsPerOpOneMax) },
    { name: `${where} server CPU per op, sync`, goal: `≤ ${cpuUsPerOpSyncMax} µs over the 3 nodes`, outcome: cpuCheck(syncHigh, cpuUsPerOpSyncMax) },
    { name: `YCSB-${w.toUpperCase()} C=${low} update p50, one`, goal: `< ${updateP50OneMsMax} ms`, outcome: p50Check(oneLowUpdate, updateP50OneMsMax) },
    { name: `YCSB-${w.toUpperCase()} C=${low} update p50, sync`, goal: `< ${updateP50SyncMsMax} ms`, outcome: p50Check(syncLowUpdate, updateP50SyncMsMax) },
  ];
}

export function fmt(x: number): string {
  if (!Number.isFinite(x)) return '∞';
  if (x >= 100) return x.toFixed(0);
  if (x >= 10) return x.toFixed(1);
  if (x >= 1) return x.toFixed(2);
  return x.toFixed(3);
}
