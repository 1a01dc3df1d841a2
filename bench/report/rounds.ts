/**
 * A benchmark repeated in rounds (`--rounds N`). On a shared machine one cell's numbers move by
 * 20–40 % from one minute to the next, for every system alike (docs/benchmarks.md, "What this
 * machine allows"), so a single run decides a target by the luck of its minute. With rounds,
 * every system runs once per round, and the ratios and targets are judged on each cell's median
 * over the rounds; the spread (lowest and highest) is kept beside it, so a reader sees how much
 * the machine moved.
 *
 * A median row is a RunResult like the rounds' own: each number is the median of that number
 * over the rounds (ops/s, every latency percentile, each operation's), and its CPU seconds are
 * scaled so that CPU per operation is the median of the rounds' CPU per operation — a median of
 * ratios, not a ratio of medians, because CPU per operation is what the targets judge.
 */
import type { CpuUsed } from '../cpu.ts';
import type { LatencySummary } from '../latency.ts';
import type { OperationStats, RunResult } from '../result.ts';
import type { OperationKind } from '../ycsb/workloads.ts';

/** Error samples kept on a median row, across its rounds. */
const errorSamplesMax = 5;

/** Lowest and highest over the rounds. */
export interface Range {
  readonly min: number;
  readonly max: number;
}

/** What the rounds of one cell spread over: beside its medians. */
export interface RoundsSpread {
  readonly rounds: number;
  readonly opsPerSec: Range;
  readonly p99Ms: Range;
  readonly serverCpuUsPerOp: Range;
}

/** The median of `values` (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function range(values: readonly number[]): Range {
  return { min: Math.min(...values), max: Math.max(...values) };
}

function perOp(seconds: number, ops: number): number {
  return ops > 0 ? seconds / ops : 0;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function cellKey(run: RunResult): string {
  return `${run.target}\u0000${run.workload}\u0000${run.concurrency}`;
}

function medianLatency(latencies: readonly LatencySummary[]): LatencySummary {
  const of = (field: keyof LatencySummary): number => median(latencies.map((l) => l[field]));
  return { count: Math.round(of('count')), meanMs: of('meanMs'), p50Ms: of('p50Ms'), p99Ms: of('p99Ms'), p999Ms: of('p999Ms'), maxMs: of('maxMs') };
}

function medianByOperation(runs: readonly RunResult[]): Partial<Record<OperationKind, OperationStats>> {
  const byOperation: Partial<Record<OperationKind, OperationStats>> = {};
  const kinds = new Set(runs.flatMap((run) => Object.keys(run.byOperation) as OperationKind[]));
  for (const kind of kinds) {
    const stats = runs.map((run) => run.byOperation[kind]).filter((s): s is OperationStats => s !== undefined);
    byOperation[kind] = { ...medianLatency(stats), errors: stats.reduce((sum, s) => sum + s.errors, 0) };
  }
  return byOperation;
}

/** Seconds per operation in each round, as seconds over `ops` operations at their median. */
function medianCpu(runs: readonly RunResult[], ops: number): CpuUsed {
  const scaled = (seconds: (cpu: CpuUsed) => number | undefined): number | undefined => {
    const values = runs.map((run) => seconds(run.cpu));
    if (values.some((v) => v === undefined)) return undefined;
    return median(runs.map((run, i) => perOp(values[i]!, run.ops))) * ops;
  };
  const busy = runs.map((run) => run.cpu.machineBusyFraction);
  return {
    harnessS: scaled((cpu) => cpu.harnessS)!,
    // Per process, the rounds' processes differ (each round starts the system anew).
    servers: [],
    serversS: scaled((cpu) => cpu.serversS)!,
    machineBusyFraction: busy.some((b) => b === undefined) ? undefined : median(busy as number[]),
    interruptsS: scaled((cpu) => cpu.interruptsS),
    otherS: scaled((cpu) => cpu.otherS),
  };
}

/** The median row of one cell's rounds, with their spread. */
function medianRun(runs: readonly RunResult[]): RunResult {
  const first = runs[0]!;
  const ops = Math.round(median(runs.map((run) => run.ops)));
  const counters: Record<string, number> = {};
  for (const run of runs) for (const [name, value] of Object.entries(run.counters)) counters[name] = (counters[name] ?? 0) + value;
  const cpuPerOp = runs.map((run) => round3(perOp(run.cpu.serversS, run.ops) * 1e6));
  return {
    system: first.system,
    driver: first.driver,
    target: first.target,
    workload: first.workload,
    concurrency: first.concurrency,
    warmupS: first.warmupS,
    durationS: median(runs.map((run) => run.durationS)),
    ops,
    opsPerSec: Math.round(median(runs.map((run) => run.opsPerSec))),
    // An error in any round is an error of the cell.
    errors: runs.reduce((sum, run) => sum + run.errors, 0),
    errorSamples: [...new Set(runs.flatMap((run) => run.errorSamples))].slice(0, errorSamplesMax),
    latency: medianLatency(runs.map((run) => run.latency)),
    byOperation: medianByOperation(runs),
    cpu: medianCpu(runs, ops),
    // Percentiles are medians of the rounds' percentiles; no one histogram holds them.
    histogram: '',
    counters,
    spread: {
      rounds: runs.length,
      opsPerSec: range(runs.map((run) => run.opsPerSec)),
      p99Ms: range(runs.map((run) => run.latency.p99Ms)),
      serverCpuUsPerOp: range(cpuPerOp),
    },
  };
}

/** One median row per cell (target × workload × concurrency), in the order cells first ran. */
export function medianRuns(runs: readonly RunResult[]): RunResult[] {
  const cells = new Map<string, RunResult[]>();
  for (const run of runs) {
    const key = cellKey(run);
    const cell = cells.get(key);
    if (cell === undefined) cells.set(key, [run]);
    else cell.push(run);
  }
  return [...cells.values()].map(medianRun);
}
