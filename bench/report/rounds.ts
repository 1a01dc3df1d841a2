/**
 * A benchmark repeated in rounds (`--rounds N`). On a shared machine one cell's numbers move by
 * 20–40 % from one minute to the next, for every system alike (docs/benchmarks.md, "Targets
 * judged on medians of rounds"), so a single run decides a target by the luck of its minute. With
 * rounds, every system runs once per round, and the ratios and targets are judged on each cell's
 * median over the rounds; the spread (lowest and highest) is kept beside it, so a reader sees how
 * much the machine moved.
 *
 * A median row is a RunResult like the rounds' own: each number is the median of that number
 * over the rounds (ops/s, every latency percentile, each operation's, the driver's counters),
 * except errors, which are summed (an error in any round is one of the cell). CPU per operation
 * is the median of the rounds' CPU per operation — a median of ratios, not a ratio of medians,
 * because it is what the targets judge — kept exactly in `spread`, where `serverCpuUsPerOp`
 * (compare.ts) reads it; a round without operations counts as an infinitely dear one. The CPU
 * seconds of a median row are scaled to match, for the tables. Ratios are ratios of the
 * systems' medians. A cell that runs more than once in a round (`--concurrency 64,64`) has all
 * its runs in one median.
 */
import { round3, type CpuUsed } from '../cpu.ts';
import type { LatencySummary } from '../latency.ts';
import type { OperationStats, RunResult } from '../result.ts';
import type { OperationKind } from '../ycsb/workloads.ts';
import { serverCpuUsPerOp } from './compare.ts';

/** Error samples kept on a median row, across its rounds. */
const errorSamplesMax = 5;

/** Lowest and highest over the rounds. */
export interface Range {
  readonly min: number;
  readonly max: number;
}

/** What the rounds of one cell spread over: beside its medians. */
export interface RoundsSpread {
  /** Runs of the cell: its rounds (fewer where the system failed in a round). */
  readonly rounds: number;
  readonly opsPerSec: Range;
  readonly p99Ms: Range;
  /** Server CPU µs per operation: the median the CPU targets judge, and its range. */
  readonly serverCpuUsPerOp: Range & { readonly median: number };
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

function medianCounters(runs: readonly RunResult[]): Record<string, number> {
  const names = new Set(runs.flatMap((run) => Object.keys(run.counters)));
  return Object.fromEntries([...names].map((name) => [name, median(runs.map((run) => run.counters[name] ?? 0))]));
}

/**
 * CPU seconds as the median of the rounds' seconds per operation, times the median row's
 * operations (rounds without operations left out: they have no per-operation cost to show).
 */
function medianCpu(runs: readonly RunResult[], ops: number): CpuUsed {
  const measured = runs.filter((run) => run.ops > 0);
  const scaled = (seconds: (cpu: CpuUsed) => number | undefined): number | undefined => {
    if (measured.length === 0) return 0;
    const values = measured.map((run) => seconds(run.cpu));
    if (values.some((v) => v === undefined)) return undefined;
    return round3(median(measured.map((run, i) => values[i]! / run.ops)) * ops);
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
  // Rounded as the reports print it, so that a median shown as 90 µs is judged as 90 µs.
  const cpuPerOp = runs.map((run) => round3(serverCpuUsPerOp(run)));
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
    errors: runs.reduce((sum, run) => sum + run.errors, 0),
    errorSamples: [...new Set(runs.flatMap((run) => run.errorSamples))].slice(0, errorSamplesMax),
    latency: medianLatency(runs.map((run) => run.latency)),
    byOperation: medianByOperation(runs),
    cpu: medianCpu(runs, ops),
    // Percentiles are medians of the rounds' percentiles; no one histogram holds them.
    histogram: '',
    counters: medianCounters(runs),
    spread: {
      rounds: runs.length,
      opsPerSec: range(runs.map((run) => run.opsPerSec)),
      p99Ms: range(runs.map((run) => run.latency.p99Ms)),
      serverCpuUsPerOp: { median: median(cpuPerOp), ...range(cpuPerOp) },
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

/**
 * The rows a result's ratios and targets are judged on: with several rounds, each cell's median
 * (also returned, for the report); with one, the runs themselves.
 */
export function rowsToJudge(runs: readonly RunResult[], rounds: number): { readonly medians: RunResult[] | undefined; readonly judged: readonly RunResult[] } {
  if (rounds <= 1 || runs.length === 0) return { medians: undefined, judged: runs };
  const medians = medianRuns(runs);
  return { medians, judged: medians };
}
