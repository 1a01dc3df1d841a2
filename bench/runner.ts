/**
 * The benchmark of one system: start it, load the records once per dataset, then for each
 * workload × concurrency × driver a warm-up and a timed closed loop, with the CPU every server
 * process and the harness used during the timed part; stop it. Systems run one after another,
 * so each has the machine to itself.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KvorumError } from '../src/core/errors.ts';
import { closedLoop, destroyLoopStats, loadRecords, type LoopStats } from './closed-loop.ts';
import { cpuBetween, sampleCpu } from './cpu.ts';
import { gcPausesBetween, type GcPauses } from './gc.ts';
import { LatencyRecorder } from './latency.ts';
import type { Progress } from './progress.ts';
import { RequestSource, runSeed, type ValueOptions } from './request-source.ts';
import type { LoadResult, OperationStats, RunResult, SystemInfo } from './result.ts';
import type { Driver, KvAdapter, RunningSystem, SystemLauncher } from './systems/adapter.ts';
import { buildKeyName } from './ycsb/keys.ts';
import { Xoshiro128 } from './ycsb/prng.ts';
import { ValuePool } from './ycsb/values.ts';
import { operationKinds, type OperationKind, type Workload } from './ycsb/workloads.ts';

export interface RunPlan extends ValueOptions {
  readonly workloads: readonly Workload[];
  readonly concurrency: readonly number[];
  readonly durationS: number;
  readonly warmupS: number;
  readonly records: number;
  readonly loadConcurrency: number;
  readonly seed: number;
  /** `system:driver` names to run; all drivers when undefined. */
  readonly drivers: readonly string[] | undefined;
  /** Keep the systems' data directories after the run (for inspection). */
  readonly keepData: boolean;
}

export interface SystemOutcome {
  readonly system: SystemInfo;
  readonly loads: LoadResult[];
  readonly runs: RunResult[];
}

const loadSeedSalt = 0x5eed;

function selectedDrivers(system: RunningSystem, plan: RunPlan): Driver[] {
  if (!plan.drivers) return [...system.drivers];
  const chosen = system.drivers.filter((d) => plan.drivers!.includes(`${system.name}:${d.name}`) || plan.drivers!.includes(system.name));
  return chosen;
}

function summarizeOperations(stats: LoopStats): { overall: LatencyRecorder; byOperation: Partial<Record<OperationKind, OperationStats>> } {
  const overall = new LatencyRecorder();
  const byOperation: Partial<Record<OperationKind, OperationStats>> = {};
  for (const kind of operationKinds) {
    const recorder = stats.recorders[kind];
    if (recorder.count === 0 && stats.errors[kind] === 0) continue;
    overall.add(recorder);
    byOperation[kind] = { ...recorder.summary(), errors: stats.errors[kind] };
  }
  return { overall, byOperation };
}

function rate(ops: number, elapsedMs: number): number {
  return elapsedMs > 0 ? Math.round((ops / elapsedMs) * 1000) : 0;
}

function statusLine(stats: LoopStats): string {
  const errors = stats.errorCount > 0 ? ` ${stats.errorCount} errors` : '';
  return `${rate(stats.ops, stats.elapsedMs).toLocaleString('en-US')} ops/s${errors}`;
}

async function loadDataset(system: RunningSystem, driver: Driver, plan: RunPlan, progress: Progress): Promise<LoadResult> {
  const adapter = await driver.connect(plan.loadConcurrency);
  const values = new ValuePool(new Xoshiro128(plan.seed ^ loadSeedSalt), plan.valueLayout, plan.valueBytes);
  const task = progress.start(`load ${system.name}/${driver.dataset} ${plan.records.toLocaleString('en-US')} records`);
  let stats: LoopStats | undefined;
  try {
    stats = await loadRecords(
      adapter,
      plan.records,
      (n) => ({ kind: 'update', key: buildKeyName(n), value: values.next() }),
      plan.loadConcurrency,
      (fraction, s) => task.update(fraction, `${s.ops.toLocaleString('en-US')} inserted`),
    );
    const latency = stats.recorders.update.summary();
    const result: LoadResult = {
      system: system.name,
      driver: driver.name,
      dataset: driver.dataset,
      records: plan.records,
      concurrency: plan.loadConcurrency,
      seconds: Math.round(stats.elapsedMs) / 1000,
      opsPerSec: rate(stats.ops, stats.elapsedMs),
      errors: stats.errorCount,
      errorSamples: [...stats.errorSamples],
      latency,
    };
    task.done(`${result.opsPerSec.toLocaleString('en-US')} inserts/s in ${result.seconds.toFixed(1)} s${result.errors ? `, ${result.errors} errors` : ''}`);
    return result;
  } finally {
    if (stats) destroyLoopStats(stats);
    await adapter.close();
  }
}

async function timedRun(system: RunningSystem, driver: Driver, workload: Workload, concurrency: number, plan: RunPlan, progress: Progress): Promise<RunResult> {
  const source = new RequestSource(workload, plan.records, runSeed(plan.seed, workload.name, concurrency), plan);
  const next = (): ReturnType<RequestSource['next']> => source.next();
  const label = `${system.name}/${driver.name} ${workload.name.toUpperCase()} C=${concurrency}`;
  const adapter: KvAdapter = await driver.connect(concurrency);
  let warm: LoopStats | undefined;
  let timed: LoopStats | undefined;
  try {
    if (plan.warmupS > 0) {
      const warmTask = progress.start(`${label} warm-up`);
      warm = await closedLoop(adapter, next, { concurrency, durationMs: plan.warmupS * 1000, onTick: (f, s) => warmTask.update(f, statusLine(s)) });
      warmTask.done(statusLine(warm));
    }
    const task = progress.start(label);
    const pids = [...system.serverProcesses.keys()];
    const gcBefore = await gcPausesOf(system);
    const before = sampleCpu(pids);
    timed = await closedLoop(adapter, next, { concurrency, durationMs: plan.durationS * 1000, onTick: (f, s) => task.update(f, statusLine(s)) });
    const cpu = cpuBetween(before, sampleCpu(pids), system.serverProcesses);
    const gcAfter = await gcPausesOf(system);
    const gc = gcBefore && gcAfter ? gcPausesBetween(gcBefore, gcAfter) : undefined;
    const { overall, byOperation } = summarizeOperations(timed);
    const latency = overall.summary();
    const result: RunResult = {
      system: system.name,
      driver: driver.name,
      target: `${system.name}/${driver.name}`,
      workload: workload.name,
      concurrency,
      warmupS: plan.warmupS,
      durationS: Math.round(timed.elapsedMs) / 1000,
      ops: timed.ops,
      opsPerSec: rate(timed.ops, timed.elapsedMs),
      errors: timed.errorCount,
      errorSamples: [...timed.errorSamples],
      latency,
      byOperation,
      cpu,
      histogram: overall.encoded(),
      counters: adapter.counters?.() ?? {},
      ...(gc ? { gc } : {}),
    };
    overall.destroy();
    task.done(
      `${result.opsPerSec.toLocaleString('en-US')} ops/s  p50 ${latency.p50Ms.toFixed(3)} ms  p99 ${latency.p99Ms.toFixed(3)} ms` +
        `  cpu server ${cpu.serversS.toFixed(1)} s harness ${cpu.harnessS.toFixed(1)} s${gc ? `  gc ${gcText(gc)}` : ''}${result.errors ? `  ${result.errors} errors: ${result.errorSamples[0]}` : ''}`,
    );
    return result;
  } finally {
    if (warm) destroyLoopStats(warm);
    if (timed) destroyLoopStats(timed);
    await adapter.close();
  }
}

/** The system's GC pauses so far; undefined when it reports none or could not say (the run goes on without them). */
async function gcPausesOf(system: RunningSystem): Promise<GcPauses | undefined> {
  try {
    return await system.gcPauses?.();
  } catch {
    return undefined;
  }
}

function gcText(gc: GcPauses): string {
  return `${Math.round((gc.youngS + gc.fullS) * 1000)} ms${gc.fullCount > 0 ? ` (${gc.fullCount} full)` : ''}`;
}

function describe(system: RunningSystem, drivers: readonly Driver[]): SystemInfo {
  return {
    name: system.name,
    version: system.version,
    description: system.description,
    drivers: drivers.map((d) => ({ name: d.name, description: d.description })),
  };
}

export async function benchmarkSystem(launcher: SystemLauncher, plan: RunPlan, progress: Progress): Promise<SystemOutcome> {
  const workDir = mkdtempSync(join(tmpdir(), `kvorum-bench-${launcher.name}-`));
  progress.log(`starting ${launcher.name} in ${workDir}`);
  let system: RunningSystem | undefined;
  try {
    system = await launcher.start({ workDir, log: (line) => progress.log(line) });
    const drivers = selectedDrivers(system, plan);
    if (drivers.length === 0) throw new KvorumError('bad_config', `no driver of ${system.name} selected by --drivers ${plan.drivers?.join(',')}`);
    const loads: LoadResult[] = [];
    const loaded = new Set<string>();
    for (const driver of drivers) {
      if (loaded.has(driver.dataset)) continue;
      loaded.add(driver.dataset);
      loads.push(await loadDataset(system, driver, plan, progress));
    }
    // Drivers innermost: the runs a ratio compares (client vs HTTP, one bucket vs another) are
    // adjacent in time, so a burst of other work on the shared cores hits both alike.
    const runs: RunResult[] = [];
    for (const workload of plan.workloads) {
      for (const concurrency of plan.concurrency) {
        for (const driver of drivers) runs.push(await timedRun(system, driver, workload, concurrency, plan, progress));
      }
    }
    return { system: describe(system, drivers), loads, runs };
  } finally {
    if (system) await system.stop();
    if (!plan.keepData) rmSync(workDir, { recursive: true, force: true });
  }
}
