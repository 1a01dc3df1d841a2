/** The Markdown report of a run: setup, one table per workload, ratios, targets, CPU. */
import type { BenchResult, RunResult, TargetCheck } from '../result.ts';
import { workloads, type WorkloadName } from '../ycsb/workloads.ts';
import { fmt, serverCpuUsPerOp } from './compare.ts';
import type { Range } from './rounds.ts';

/** A median with the lowest and highest of its rounds. */
function spreadCell(medianValue: number, range: Range, format: (x: number) => string): string {
  return `${format(medianValue)} (${format(range.min)}–${format(range.max)})`;
}

/** A section of one table: its title, a sentence on what it shows, the header (`:` marks a column aligned right), the rows. */
function tableSection(title: string, intro: string, columns: readonly string[], rows: readonly string[]): string[] {
  const names = columns.map((column) => column.replace(/^:/, ''));
  const aligns = columns.map((column) => (column.startsWith(':') ? '---:' : '---'));
  return [`## ${title}`, '', intro, '', `| ${names.join(' | ')} |`, `| ${aligns.join(' | ')} |`, ...rows, ''];
}

/** Each cell's median over the rounds, with the spread the ratios and targets were judged beside. */
function mediansSection(medians: readonly RunResult[], rounds: number): string[] {
  const rows = medians.map((m) => {
    const spread = m.spread!;
    return (
      `| ${m.target} | ${m.workload.toUpperCase()} | ${m.concurrency} | ${spread.rounds} | ${spreadCell(m.opsPerSec, spread.opsPerSec, int)} | ${ms(m.latency.p50Ms)} | ` +
      `${spreadCell(m.latency.p99Ms, spread.p99Ms, ms)} | ${spreadCell(serverCpuUsPerOp(m), spread.serverCpuUsPerOp, fmt)} |`
    );
  });
  return tableSection(
    `Medians over ${rounds} rounds`,
    'Each number is the median of the rounds, with the lowest and highest in brackets; the ratios and targets below are computed from these medians.',
    ['system/driver', 'workload', ':C', ':rounds', ':ops/s', ':p50 ms', ':p99 ms', ':server CPU µs/op'],
    rows,
  );
}

/** A row's label, with its round in a result of several. */
function inRound(label: string, round: number | undefined): string {
  return round === undefined ? label : `${label} · round ${round}`;
}

function ms(x: number): string {
  return x.toFixed(3);
}

function int(x: number): string {
  return Math.round(x).toLocaleString('en-US');
}

function runRow(run: RunResult): string {
  const serverMicrosPerOp = run.ops > 0 ? (run.cpu.serversS / run.ops) * 1e6 : 0;
  const harnessMicrosPerOp = run.ops > 0 ? (run.cpu.harnessS / run.ops) * 1e6 : 0;
  const busy = run.cpu.machineBusyFraction === undefined ? '–' : `${Math.round(run.cpu.machineBusyFraction * 100)}%`;
  const other = run.cpu.otherS === undefined ? '–' : run.cpu.otherS.toFixed(1);
  const interrupts = run.cpu.interruptsS === undefined ? '–' : run.cpu.interruptsS.toFixed(1);
  return `| ${inRound(run.target, run.round)} | ${run.concurrency} | ${int(run.opsPerSec)} | ${ms(run.latency.p50Ms)} | ${ms(run.latency.p99Ms)} | ${ms(run.latency.p999Ms)} | ${run.errors} | ${run.cpu.serversS.toFixed(1)} | ${run.cpu.harnessS.toFixed(1)} | ${interrupts} | ${other} | ${busy} | ${fmt(serverMicrosPerOp)} | ${fmt(harnessMicrosPerOp)} |`;
}

function workloadSection(name: WorkloadName, runs: readonly RunResult[]): string[] {
  const rows = runs
    .filter((r) => r.workload === name)
    .sort((a, b) => a.concurrency - b.concurrency || a.target.localeCompare(b.target) || (a.round ?? 0) - (b.round ?? 0));
  if (rows.length === 0) return [];
  return [
    `### ${workloads[name].title}`,
    '',
    '| system/driver | C | ops/s | p50 ms | p99 ms | p99.9 ms | errors | server CPU s | harness CPU s | irq CPU s | other CPU s | machine busy | server CPU µs/op | harness CPU µs/op |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map(runRow),
    '',
  ];
}

/**
 * The server processes' GC pauses, run by run (bench/gc.ts): a process whose collector went bad
 * shows as full collections and longer young pauses here, and nowhere else.
 */
function gcSection(runs: readonly RunResult[]): string[] {
  const rows = runs.map((run) => {
    const gc = run.gc!;
    const perOp = run.ops > 0 ? fmt(((gc.youngS + gc.fullS) * 1e6) / run.ops) : '—';
    return `| ${inRound(run.target, run.round)} ${run.workload.toUpperCase()} C=${run.concurrency} | ${int(gc.youngCount)} | ${ms(gc.youngS * 1000)} | ${int(gc.fullCount)} | ${ms(gc.fullS * 1000)} | ${perOp} |`;
  });
  return tableSection(
    'Server GC pauses',
    "The server processes' main-thread pauses in the timed part, summed over the processes.",
    ['run', ':young collections', ':young pauses ms', ':full collections', ':full pauses ms', ':pauses µs/op'],
    rows,
  );
}

export function renderMarkdown(result: BenchResult, chartFile?: string): string {
  const o = result.options;
  const lines: string[] = [
    `# ${result.title}`,
    '',
    `- started ${result.startedAt}, finished ${result.finishedAt}`,
    `- command: \`${result.command}\``,
    `- machine: ${result.machine.cpus} × ${result.machine.cpuModel}, ${result.machine.memoryGiB} GiB, ${result.machine.os}, Node ${result.machine.node}`,
    `- ${o.records.toLocaleString('en-US')} records of ${o.valueBytes} bytes (${o.valueLayout}), zipfian 0.99 (scrambled), seed ${o.seed}; ` +
      `each run ${o.warmupS} s warm-up + ${o.durationS} s closed loop at C requests in flight` +
      ((o.rounds ?? 1) > 1 ? `; ${o.rounds} rounds, each running every system in turn` : ''),
    '- the harness runs on the same two cores as the servers: its CPU is shown beside theirs; "irq CPU" is interrupt work ' +
      '(loopback networking, disk completions) charged to no process; "other CPU" is everything else busy meanwhile ' +
      '(kernel threads flushing fsyncs, and any other process: a large value means the run competed with other work)',
    '',
    '## Systems',
    '',
    ...result.systems.flatMap((s) => [`- **${s.name}** — ${s.description}`, ...s.drivers.map((d) => `  - \`${s.name}/${d.name}\`: ${d.description}`)]),
    ...result.failures.map((f) => `- **${inRound(f.system, f.round)}** failed: ${f.error.split('\n')[0]}`),
    '',
  ];
  if (result.loads.length > 0) {
    lines.push('## Load phase', '', '| system | dataset | records | inserts/s | p99 ms | errors |', '| --- | --- | ---: | ---: | ---: | ---: |');
    for (const load of result.loads) lines.push(`| ${inRound(`${load.system}/${load.driver}`, load.round)} | ${load.dataset} | ${int(load.records)} | ${int(load.opsPerSec)} | ${ms(load.latency.p99Ms)} | ${load.errors} |`);
    lines.push('');
  }
  lines.push('## Results', '');
  if (chartFile) lines.push(`![ops/s and p99 per system per workload](${chartFile})`, '');
  for (const name of o.workloads) lines.push(...workloadSection(name, result.runs));
  if (result.medians && result.medians.length > 0) lines.push(...mediansSection(result.medians, o.rounds ?? 1));
  if (result.ratios.length > 0) {
    lines.push('## Ratios', '', '| workload | C | ratio | ops/s ratio | p99 ratio | p99.9 ratio | server CPU/op ratio |', '| --- | ---: | --- | ---: | ---: | ---: | ---: |');
    for (const r of result.ratios) lines.push(`| ${r.workload.toUpperCase()} | ${r.concurrency} | ${r.numerator} ÷ ${r.denominator} | ${fmt(r.opsRatio)}× | ${fmt(r.p99Ratio)}× | ${fmt(r.p999Ratio)}× | ${fmt(r.cpuRatio)}× |`);
    lines.push('');
  }
  if (result.targets.length > 0) {
    const withFloor = result.targets.some((t) => t.floor !== undefined);
    lines.push('## Targets (issue 10 §5)', '');
    if (withFloor) {
      lines.push(
        'Each target is also judged on the floor of its durability (`floor/framed-one` for `one`, `floor/framed-sync` for `sync`): what the least this design costs reaches on this box, in this run.',
        '',
      );
    }
    const floorCells = (t: TargetCheck): string => (withFloor ? ` ${t.floor?.measured ?? ''} | ${t.floor?.status ?? ''} |` : '');
    lines.push(`| target | goal | measured | status |${withFloor ? " the floor | the floor's status |" : ''}`, `| --- | --- | --- | --- |${withFloor ? ' --- | --- |' : ''}`);
    for (const t of result.targets) lines.push(`| ${t.name} | ${t.goal} | ${t.measured} | **${t.status}** |${floorCells(t)}`);
    lines.push('');
  }
  const counted = result.runs.filter((r) => Object.values(r.counters ?? {}).some((v) => v > 0));
  if (counted.length > 0) {
    lines.push('## Driver counters', '');
    for (const r of counted) lines.push(`- ${inRound(r.target, r.round)} ${r.workload.toUpperCase()} C=${r.concurrency}: ${Object.entries(r.counters).map(([k, v]) => `${k} ${v}`).join(', ')}`);
    lines.push('');
  }
  const withGc = result.runs.filter((r) => r.gc !== undefined);
  if (withGc.length > 0) lines.push(...gcSection(withGc));
  const errored = result.runs.filter((r) => r.errors > 0);
  if (errored.length > 0) {
    lines.push('## Errors', '');
    for (const r of errored) lines.push(`- ${inRound(r.target, r.round)} ${r.workload.toUpperCase()} C=${r.concurrency}: ${r.errors} — ${r.errorSamples.join('; ')}`);
    lines.push('');
  }
  return lines.join('\n');
}
