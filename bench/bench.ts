/**
 * One benchmark run over several systems: install the peers if needed, run each system in turn
 * (a system that fails to start is reported, not fatal), then compute ratios and targets and
 * write the result files. `run.ts` (npm run bench) and `dynamo.ts` (npm run bench:dynamo) are
 * thin entry points over this.
 */
import { spawnSync } from 'node:child_process';
import { cpus, release, totalmem, type } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KvorumError } from '../src/core/errors.ts';
import type { BenchOptions } from './options.ts';
import { Progress } from './progress.ts';
import { resultSchema, type BenchResult, type LoadResult, type Ratio, type RunResult, type SystemInfo, type TargetCheck } from './result.ts';
import { rowsToJudge } from './report/rounds.ts';
import { benchmarkSystem } from './runner.ts';
import type { SystemLauncher } from './systems/adapter.ts';
import { writeResult, type WrittenFiles } from './report/write.ts';

const setupScript = join(dirname(fileURLToPath(import.meta.url)), 'setup.sh');

export interface BenchSpec {
  readonly title: string;
  readonly filePrefix: string;
  readonly launchers: readonly SystemLauncher[];
  readonly needsSetup: boolean;
  readonly ratios: (runs: readonly RunResult[]) => Ratio[];
  readonly targets: (runs: readonly RunResult[]) => TargetCheck[];
}

/** Installs redis-server and etcd from Debian when missing (bench/setup.sh). */
export function runSetup(): void {
  const result = spawnSync('bash', [setupScript], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.status !== 0) throw new Error(`bench/setup.sh failed (exit ${result.status}); install redis-server, etcd-server and etcd-client by hand or pass --no-setup`);
}

function machine(): BenchResult['machine'] {
  const list = cpus();
  return {
    cpus: list.length,
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.versions.node,
    os: `${type()} ${release()}`,
  };
}

/**
 * Runs an entry point (run.ts, dynamo.ts, dashboard.ts) and exits with the code it returns:
 * 2 with the message alone for bad options (bad_config), 1 with the stack for any other failure.
 */
export function runEntry(main: (argv: readonly string[]) => Promise<number>): void {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      if (error instanceof KvorumError && error.code === 'bad_config') {
        process.stderr.write(`${error.message}\n`);
        process.exit(2);
      }
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}

/** The command as a user would retype it. */
export function commandLine(script: string, argv: readonly string[]): string {
  const args = argv.map((a) => (/^[\w.,:/=-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
  const event = process.env.npm_lifecycle_event;
  if (event) return `npm run ${event}${args ? ` -- ${args}` : ''}`;
  return `node --import tsx ${script}${args ? ` ${args}` : ''}`;
}

export async function runBench(spec: BenchSpec, options: BenchOptions, command: string): Promise<{ result: BenchResult; files: WrittenFiles }> {
  const progress = new Progress(process.stderr, !options.quiet);
  if (options.setup && spec.needsSetup) runSetup();
  const startedAt = new Date().toISOString();
  const systems: SystemInfo[] = [];
  const loads: LoadResult[] = [];
  const runs: RunResult[] = [];
  const failures: { system: string; error: string; round?: number }[] = [];
  const plan = { ...options, drivers: options.drivers };
  const { rounds } = options;
  // Round-major: each round runs every system once, so a slow stretch of the shared machine
  // falls on one round of each, not on every round of one system.
  for (let round = 1; round <= rounds; round++) {
    const inRound = rounds > 1 ? { round } : {};
    if (rounds > 1) progress.log(`round ${round} of ${rounds}`);
    for (const launcher of spec.launchers) {
      try {
        const outcome = await benchmarkSystem(launcher, plan, progress);
        if (!systems.some((s) => s.name === outcome.system.name)) systems.push(outcome.system);
        loads.push(...outcome.loads.map((load) => ({ ...inRound, ...load })));
        runs.push(...outcome.runs.map((run) => ({ ...run, ...inRound })));
      } catch (error) {
        const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
        progress.log(`${launcher.name} failed: ${message}`);
        failures.push({ system: launcher.name, error: message, ...inRound });
      }
    }
  }
  const { medians, judged } = rowsToJudge(runs, rounds);
  const result: BenchResult = {
    schema: resultSchema,
    title: spec.title,
    startedAt,
    finishedAt: new Date().toISOString(),
    command,
    options: {
      systems: options.systems,
      drivers: options.drivers,
      workloads: options.workloads.map((w) => w.name),
      concurrency: options.concurrency,
      durationS: options.durationS,
      warmupS: options.warmupS,
      records: options.records,
      loadConcurrency: options.loadConcurrency,
      valueLayout: options.valueLayout,
      valueBytes: options.valueBytes,
      seed: options.seed,
      kvorumNodes: options.kvorumNodes,
      rounds,
    },
    machine: machine(),
    systems,
    loads,
    runs,
    ...(medians ? { medians } : {}),
    ratios: spec.ratios(judged),
    targets: spec.targets(judged),
    failures,
  };
  const files = writeResult(result, options.outDir, spec.filePrefix);
  return { result, files };
}
