/**
 * `npm run bench:dashboard`: what watching the cluster costs (issue 14). The same client on the
 * same cluster and bucket, three ways, adjacent in time so that other work on the shared cores
 * hits them alike (drivers are innermost; `--concurrency 64,64,64` repeats the cell):
 *
 * - `binary`: nobody watching — the nodes take no report of the cluster;
 * - `binary+page`: a real Chromium page on n1's dashboard (GET / and its server-sent events,
 *   so n1 asks n2 and n3 for their reports once a second);
 * - `binary+top`: `kvorum top` against n1, in a pseudo-terminal (`script`) so it redraws live.
 *
 * Server CPU is summed over the three node processes only; the browser's and top's own CPU land
 * in the "other" column (a real operator's browser is on another machine). Under load the
 * difference drowns in the noise of shared cores, so the run also measures the cluster idle —
 * nothing but the watcher — where what the nodes spend on it stands alone: server CPU
 * milliseconds per second, with each watcher and without, `--idle-s` seconds each, repeated.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchBrowser } from '../test/helpers/browser.ts';
import { KvorumError } from '../src/core/errors.ts';
import { commandLine, runBench, runEntry } from './bench.ts';
import { parseOptions, usage, type OptionDefaults } from './options.ts';
import { fmt } from './report/compare.ts';
import type { RunResult } from './result.ts';
import { cpuProfileArgs } from './systems/index.ts';
import { benchBucket, defaultBenchBuckets, kvorumLauncher, type KvorumDriverSpec, type Watcher } from './systems/kvorum.ts';
import { startProcess, waitUntil } from './systems/processes.ts';
import { cpuBetween, sampleCpu } from './cpu.ts';

const kvorumBin = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'kvorum.js');
/** How long a page has to show the live cluster before the run starts. */
const pageLiveTimeoutMs = 30_000;

/** Chromium on the dashboard, waiting until the page says it is live. */
const page: Watcher = {
  description: "a Chromium page on n1's dashboard",
  start: async (httpUrl) => {
    const browser = await launchBrowser();
    try {
      const tab = await browser.context.newPage();
      await tab.goto(httpUrl);
      await tab.locator('#connection[data-state="live"]').waitFor({ timeout: pageLiveTimeoutMs });
    } catch (error) {
      await browser.close();
      throw error;
    }
    return browser.close;
  },
};

/** `kvorum top --url`, live: under `script` it has a terminal, and stopping `script` stops it. */
const top: Watcher = {
  description: 'kvorum top against n1, live in a pseudo-terminal',
  start: async (httpUrl) => {
    const dir = mkdtempSync(join(tmpdir(), 'kvorum-bench-top-'));
    const command = `${process.execPath} ${kvorumBin} top --url ${httpUrl}`;
    const topProcess = startProcess('kvorum top', 'script', ['-qfec', command, '/dev/null'], join(dir, 'top.log'));
    // It has drawn a frame once its output names a member.
    await waitUntil('kvorum top to draw', async () => readFileSync(topProcess.logFile, 'utf8').includes('n3'), [topProcess], pageLiveTimeoutMs);
    return async () => {
      await topProcess.stop();
      rmSync(dir, { recursive: true, force: true });
    };
  },
};

const drivers: readonly KvorumDriverSpec[] = [
  { name: 'binary', bucket: benchBucket, routing: 'client', protocol: 'binary' },
  { name: 'binary+page', bucket: benchBucket, routing: 'client', protocol: 'binary', watcher: page },
  { name: 'binary+top', bucket: benchBucket, routing: 'client', protocol: 'binary', watcher: top },
];

const dashboardDefaults: OptionDefaults = {
  systems: ['kvorum'],
  workloads: ['a'],
  concurrency: [64, 64, 64],
  durationS: 15,
  warmupS: 3,
  records: 100_000,
};

const watchers: readonly { readonly name: string; readonly watcher: Watcher | undefined }[] = [
  { name: 'nobody', watcher: undefined },
  { name: 'page', watcher: page },
  { name: 'top', watcher: top },
];
const idleSDefault = 10;
const idleSettleMs = 15_000;

function cpuUsPerOp(run: RunResult): number {
  return run.ops > 0 ? (run.cpu.serversS * 1e6) / run.ops : 0;
}

function mean(values: readonly number[]): number {
  return values.reduce((sum, v) => sum + v, 0) / values.length;
}

/**
 * Server CPU milliseconds per second of an idle cluster, per watcher, `repeats` times over:
 * each watcher opened, given two seconds to settle, then `idleS` seconds measured.
 */
async function idleCost(idleS: number, repeats: number, log: (line: string) => void): Promise<Map<string, number[]>> {
  const workDir = mkdtempSync(join(tmpdir(), 'kvorum-bench-idle-'));
  const system = await kvorumLauncher({ buckets: { [benchBucket]: defaultBenchBuckets[benchBucket]! }, drivers: [], storage: 'lmdb' }).start({ workDir, log });
  const costs = new Map<string, number[]>(watchers.map((w) => [w.name, []]));
  try {
    const pids = [...system.serverProcesses.keys()];
    // A new cluster builds its hash trees and settles its gossip first: not the watchers' cost.
    await new Promise((resolve) => setTimeout(resolve, idleSettleMs));
    for (let i = 0; i < repeats; i++) {
      // Each repetition starts with the next watcher, so that no watcher always comes first.
      for (const { name, watcher } of watchers.map((_, j) => watchers[(i + j) % watchers.length]!)) {
        const stop = watcher ? await watcher.start(system.httpUrls[0]!) : async () => {};
        await new Promise((resolve) => setTimeout(resolve, 2_000));
        const before = sampleCpu(pids);
        await new Promise((resolve) => setTimeout(resolve, idleS * 1000));
        const used = cpuBetween(before, sampleCpu(pids), system.serverProcesses);
        await stop();
        const msPerS = (used.serversS * 1000) / idleS;
        costs.get(name)!.push(msPerS);
        log(`idle, watched by ${name}: server CPU ${msPerS.toFixed(1)} ms/s`);
      }
    }
  } finally {
    await system.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
  return costs;
}

async function main(argv: readonly string[]): Promise<number> {
  // --idle-s and --idle-repeats are this script's own; the rest are the harness's.
  const own = parseArgs({ args: [...argv], options: { 'idle-s': { type: 'string' }, 'idle-repeats': { type: 'string' } }, strict: false });
  const idleS = Number(own.values['idle-s'] ?? idleSDefault);
  const idleRepeats = Number(own.values['idle-repeats'] ?? 3);
  if (!(idleS >= 0) || !Number.isInteger(idleRepeats) || idleRepeats < 0) throw new KvorumError('bad_config', '--idle-s and --idle-repeats: numbers >= 0');
  const options = parseOptions(
    argv.filter((arg, i) => !/^--idle-(s|repeats)$/.test(arg) && !/^--idle-(s|repeats)$/.test(argv[i - 1] ?? '')),
    dashboardDefaults,
  );
  if (options.help) {
    process.stdout.write(usage.replace('npm run bench', 'npm run bench:dashboard'));
    process.stdout.write(`  --idle-s S            each idle measurement (default ${idleSDefault}; 0 skips them)\n  --idle-repeats N      idle measurements per watcher (default 3)\n`);
    return 0;
  }
  if (options.systems.some((s) => s !== 'kvorum')) throw new KvorumError('bad_config', '--systems: bench:dashboard runs kvorum only');
  const launcher = kvorumLauncher({ buckets: { [benchBucket]: defaultBenchBuckets[benchBucket]! }, drivers, storage: 'lmdb', nodeArgs: cpuProfileArgs(options.cpuProfileDir), nodes: options.kvorumNodes });
  const { result, files } = await runBench(
    { title: 'kvorum — the cost of watching (dashboard page, kvorum top)', filePrefix: 'dashboard-', launchers: [launcher], needsSetup: false, ratios: () => [], targets: () => [] },
    options,
    commandLine('bench/dashboard.ts', argv),
  );
  const out: string[] = ['', `results: ${files.markdown}`, ''];
  for (const r of result.runs) {
    out.push(
      `${r.target.padEnd(20)} ${r.workload.toUpperCase()} C=${String(r.concurrency).padEnd(3)} ${String(r.opsPerSec).padStart(7)} ops/s  p99 ${r.latency.p99Ms.toFixed(3)} ms  ` +
        `server CPU ${cpuUsPerOp(r).toFixed(1)} µs/op  other CPU ${r.cpu.otherS?.toFixed(1) ?? "?"} s  errors ${r.errors}`,
    );
  }
  // Each repetition's triple ran back to back: compare within it.
  const byTarget = (target: string) => result.runs.filter((r) => r.target === target);
  const base = byTarget('kvorum/binary');
  for (const target of ['kvorum/binary+page', 'kvorum/binary+top']) {
    const rows = byTarget(target);
    if (rows.length === 0 || rows.length !== base.length) continue;
    const opsRatios = rows.map((r, i) => r.opsPerSec / base[i]!.opsPerSec);
    const cpuRatios = rows.map((r, i) => cpuUsPerOp(r) / cpuUsPerOp(base[i]!));
    out.push(
      `${target} ÷ kvorum/binary over ${rows.length} repetitions: ops/s ×${fmt(mean(opsRatios))} (${opsRatios.map(fmt).join(', ')}), ` +
        `server CPU/op ×${fmt(mean(cpuRatios))} (${cpuRatios.map(fmt).join(', ')})`,
    );
  }
  for (const target of ['kvorum/binary', 'kvorum/binary+page', 'kvorum/binary+top']) {
    const rows = byTarget(target);
    if (rows.length > 0) out.push(`mean of ${rows.length}: ${target.padEnd(20)} ${Math.round(mean(rows.map((r) => r.opsPerSec))).toString().padStart(7)} ops/s  server CPU ${mean(rows.map(cpuUsPerOp)).toFixed(1)} µs/op`);
  }
  if (idleS > 0 && idleRepeats > 0) {
    const costs = await idleCost(idleS, idleRepeats, (line) => process.stderr.write(`${line}\n`));
    out.push('', `idle cluster, server CPU summed over the nodes (${idleRepeats} × ${idleS} s each):`);
    for (const [name, values] of costs) out.push(`  watched by ${name.padEnd(7)} ${mean(values).toFixed(1).padStart(6)} ms/s  (${values.map((v) => v.toFixed(1)).join(', ')})`);
  }
  for (const f of result.failures) out.push(`FAILED ${f.system}: ${f.error.split('\n')[0]}`);
  process.stdout.write(`${out.join('\n')}\n`);
  return result.failures.length > 0 || result.runs.some((r) => r.errors > 0) ? 1 : 0;
}

runEntry(main);
