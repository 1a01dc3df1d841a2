/**
 * `npm run bench`: YCSB workloads against kvorum, Redis and etcd in one run, on this machine,
 * through the same harness. Writes bench/results/<timestamp>.{json,md,svg}, prints the Markdown
 * summary, and the targets of issue 10 §5 as pass/short. Exits non-zero when a system failed to
 * run or a run had errors (a fast wrong answer is not a result).
 */
import { commandLine, runBench, runEntry } from './bench.ts';
import { parseOptions, usage } from './options.ts';
import { checkTargets, computeRatios, fmt, serverCpuUsPerOp } from './report/compare.ts';
import type { RunResult } from './result.ts';
import { launcherByName, needsSetup } from './systems/index.ts';

async function main(argv: readonly string[]): Promise<number> {
  const options = parseOptions(argv);
  if (options.help) {
    process.stdout.write(usage);
    return 0;
  }
  const launchers = options.systems.map((name) => launcherByName(name, options));
  const { result, files } = await runBench(
    {
      title: 'kvorum vs Redis vs etcd — YCSB',
      filePrefix: '',
      launchers,
      needsSetup: needsSetup(options.systems),
      ratios: (runs) => computeRatios(runs),
      targets: (runs) => checkTargets(runs),
    },
    options,
    commandLine('bench/run.ts', argv),
  );
  const out: string[] = ['', `results: ${files.markdown}`, `          ${files.json}`, `          ${files.svg}`, ''];
  const line = (r: RunResult, label: string): string =>
    `${label.padEnd(26)} ${r.workload.toUpperCase().padEnd(5)} C=${String(r.concurrency).padEnd(3)} ${String(r.opsPerSec).padStart(8)} ops/s  p50 ${r.latency.p50Ms.toFixed(3)}  p99 ${r.latency.p99Ms.toFixed(3)}  p99.9 ${r.latency.p999Ms.toFixed(3)} ms  ${fmt(serverCpuUsPerOp(r))} µs/op  errors ${r.errors}`;
  for (const r of result.runs) out.push(line(r, r.round === undefined ? r.target : `${r.target} #${r.round}`));
  if (result.medians) {
    out.push('', `medians over ${result.options.rounds} rounds (ratios and targets are judged on these):`);
    for (const r of result.medians) {
      const s = r.spread!;
      out.push(`${line(r, r.target)}  (ops/s ${s.opsPerSec.min}–${s.opsPerSec.max}, µs/op ${fmt(s.serverCpuUsPerOp.min)}–${fmt(s.serverCpuUsPerOp.max)})`);
    }
  }
  if (result.ratios.length > 0) out.push('', 'ratios (ops/s, p99, server CPU per op):');
  for (const r of result.ratios) out.push(`  ${r.workload.toUpperCase()} C=${r.concurrency} ${r.numerator} ÷ ${r.denominator}: ${fmt(r.opsRatio)}× ops/s, ${fmt(r.p99Ratio)}× p99, ${fmt(r.cpuRatio)}× CPU/op`);
  out.push('', 'targets (issue 10 §5):');
  for (const t of result.targets) out.push(`  [${t.status}] ${t.name}: ${t.goal} — ${t.measured}${t.floor === undefined ? '' : `  (the floor: ${t.floor.measured}, ${t.floor.status})`}`);
  for (const f of result.failures) out.push(`FAILED ${f.system}: ${f.error.split('\n')[0]}`);
  process.stdout.write(`${out.join('\n')}\n`);
  const errored = result.runs.some((r) => r.errors > 0) || result.loads.some((l) => l.errors > 0);
  return result.failures.length > 0 || errored ? 1 : 0;
}

runEntry(main);
