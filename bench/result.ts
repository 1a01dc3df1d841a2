/**
 * The shape of a benchmark result file (bench/results/<timestamp>.json). Versioned by `schema`;
 * fields are only ever added.
 */
import type { CpuUsed } from './cpu.ts';
import type { GcPauses } from './gc.ts';
import type { LatencySummary } from './latency.ts';
import type { RoundsSpread } from './report/rounds.ts';
import type { OperationKind, WorkloadName } from './ycsb/workloads.ts';

export const resultSchema = 'kvorum-bench/1';

export interface OperationStats extends LatencySummary {
  readonly errors: number;
}

export interface RunResult {
  readonly system: string;
  readonly driver: string;
  /** `system/driver`, the label in tables and charts. */
  readonly target: string;
  readonly workload: WorkloadName;
  readonly concurrency: number;
  readonly warmupS: number;
  /** Measured length of the timed phase. */
  readonly durationS: number;
  /** Successful operations in the timed phase. */
  readonly ops: number;
  readonly opsPerSec: number;
  readonly errors: number;
  /** A few distinct error messages, to tell a failing store from a slow one. */
  readonly errorSamples: readonly string[];
  readonly latency: LatencySummary;
  readonly byOperation: Partial<Record<OperationKind, OperationStats>>;
  readonly cpu: CpuUsed;
  /** The overall latency histogram, HdrHistogram compressed base64. */
  readonly histogram: string;
  /** Driver counters over warm-up and timed part (e.g. kvorum's `siblingResolutions`). */
  readonly counters: Readonly<Record<string, number>>;
  /** The server processes' GC pauses in the timed part, for systems that report them (bench/gc.ts). */
  readonly gc?: GcPauses;
  /** Which round ran it (1, 2, …), in a result of several rounds (`--rounds`). */
  readonly round?: number;
  /** On a median row (`BenchResult.medians`): how far its rounds spread (report/rounds.ts). */
  readonly spread?: RoundsSpread;
}

export interface LoadResult {
  /** Which round loaded it, in a result of several rounds. */
  readonly round?: number;
  readonly system: string;
  readonly driver: string;
  readonly dataset: string;
  readonly records: number;
  readonly concurrency: number;
  readonly seconds: number;
  readonly opsPerSec: number;
  readonly errors: number;
  readonly errorSamples: readonly string[];
  readonly latency: LatencySummary;
}

export interface SystemInfo {
  readonly name: string;
  readonly version: string;
  readonly description: string;
  readonly drivers: readonly { readonly name: string; readonly description: string }[];
}

export interface Ratio {
  readonly workload: WorkloadName;
  readonly concurrency: number;
  readonly numerator: string;
  readonly denominator: string;
  /** numerator ops/s ÷ denominator ops/s. */
  readonly opsRatio: number;
  /** numerator p99 ÷ denominator p99 (lower is better for the numerator). */
  readonly p99Ratio: number;
  /** numerator p99.9 ÷ denominator p99.9 (Dynamo's Table 2 compares the 99.9th percentile). */
  readonly p999Ratio: number;
  /** numerator server CPU per operation ÷ denominator's (lower is better for the numerator). */
  readonly cpuRatio: number;
}

export type TargetStatus = 'pass' | 'short' | 'n/a';

export interface TargetCheck {
  readonly name: string;
  readonly goal: string;
  readonly measured: string;
  readonly status: TargetStatus;
  /**
   * The same target judged on the floor of the mode's durability (bench/systems/floor.ts) in the
   * same run: whether the least this design costs on this box meets it. Absent without the floor.
   */
  readonly floor?: { readonly measured: string; readonly status: TargetStatus };
}

export interface BenchOptionsRecord {
  readonly systems: readonly string[];
  readonly drivers: readonly string[] | undefined;
  readonly workloads: readonly WorkloadName[];
  readonly concurrency: readonly number[];
  readonly durationS: number;
  readonly warmupS: number;
  readonly records: number;
  readonly loadConcurrency: number;
  readonly valueLayout: string;
  readonly valueBytes: number;
  readonly seed: number;
  readonly kvorumNodes?: number;
  readonly rounds?: number;
}

export interface BenchResult {
  readonly schema: typeof resultSchema;
  readonly title: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly command: string;
  readonly options: BenchOptionsRecord;
  readonly machine: { readonly cpus: number; readonly cpuModel: string; readonly memoryGiB: number; readonly node: string; readonly os: string };
  readonly systems: readonly SystemInfo[];
  readonly loads: readonly LoadResult[];
  readonly runs: readonly RunResult[];
  /**
   * With more than one round: each cell's median over the rounds (report/rounds.ts). The ratios
   * and targets are then computed from these, not from any one round.
   */
  readonly medians?: readonly RunResult[];
  readonly ratios: readonly Ratio[];
  readonly targets: readonly TargetCheck[];
  /** Systems that failed to start or run, with why (and in which round); their rows are missing. */
  readonly failures: readonly { readonly system: string; readonly error: string; readonly round?: number }[];
}
