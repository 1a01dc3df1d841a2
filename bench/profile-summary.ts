/**
 * Where the time goes: sums the samples of V8 CPU profiles (`node --cpu-prof`, e.g. from
 * `npm run bench -- --cpu-prof DIR`) by function and by source file / package — self time, and
 * time inclusive of what a function called — and prints the top entries.
 *
 *   node --import tsx bench/profile-summary.ts DIR_OR_FILES… [--top N] [--window FROM:TO] [--ops N]
 *
 * `--window FROM:TO` keeps the samples taken between FROM and TO seconds before each profile's
 * end: a profile covers its process's life (start-up, the load, every cell), and a node stops
 * soon after its last cell, so `--window 11.5:1.5` is the timed part of a single 12 s cell. With
 * `--ops N` (the operations the window held: ops/s × its seconds) each entry is also given in µs
 * per operation, summed over the profiles (the three nodes).
 *
 * `--cpu-prof` samples wall time: a thread preempted, or blocked in a system call, is sampled
 * where it stands. Unlike `perf`, it names functions V8 inlined into others, so it finds costs
 * perf puts on their callers (docs/benchmarks.md, seventh session); perf measures CPU.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { summarize, type CpuProfile, type SampleWindow } from './cpu-profile.ts';

const topDefault = 30;

function profileFiles(paths: readonly string[]): string[] {
  return paths.flatMap((path) =>
    statSync(path).isDirectory()
      ? readdirSync(path).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(path, f))
      : [path],
  );
}

function top(map: Map<string, number>, count: number, total: number, ops: number | undefined): string[] {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([key, micros]) => {
      const perOp = ops === undefined ? '' : `${(micros / ops).toFixed(2).padStart(8)} µs/op`;
      return `${((micros / total) * 100).toFixed(1).padStart(5)}%  ${(micros / 1000).toFixed(0).padStart(7)} ms${perOp}  ${key}`;
    });
}

function parseWindow(text: string): SampleWindow {
  const [fromEndS, toEndS] = text.split(':').map(Number);
  if (!(fromEndS !== undefined && toEndS !== undefined && fromEndS > toEndS && toEndS >= 0)) {
    throw new Error(`--window FROM:TO: seconds before each profile's end, FROM > TO >= 0 (got ${text})`);
  }
  return { fromEndS, toEndS };
}

const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string' }, window: { type: 'string' }, ops: { type: 'string' } } });
const count = values.top === undefined ? topDefault : Number(values.top);
const ops = values.ops === undefined ? undefined : Number(values.ops);
const files = profileFiles(positionals);
if (files.length === 0 || !(Number.isInteger(count) && count > 0) || (ops !== undefined && !(ops > 0))) {
  process.stderr.write('usage: node --import tsx bench/profile-summary.ts DIR_OR_FILES… [--top N] [--window FROM:TO] [--ops N]\n');
  process.exit(2);
}
const window = values.window === undefined ? undefined : parseWindow(values.window);
const profiles = files.map((file) => JSON.parse(readFileSync(file, 'utf8')) as CpuProfile);
const { selfByFunction, selfByOwner, inclusiveByFunction, totalMicros } = summarize(profiles, window);
const span = window === undefined ? '' : `, from ${window.fromEndS} to ${window.toEndS} s before each profile's end`;
const perOp = ops === undefined ? '' : `; ${(totalMicros / ops).toFixed(1)} µs per operation of ${ops}`;
process.stdout.write(
  [
    `${files.length} profiles, ${(totalMicros / 1e6).toFixed(2)} s of busy samples (idle and (program) excluded${span})${perOp}`,
    '',
    'by file / package (self time):',
    ...top(selfByOwner, count, totalMicros, ops),
    '',
    'by function (self time):',
    ...top(selfByFunction, count, totalMicros, ops),
    '',
    'by function (inclusive: with what it called):',
    ...top(inclusiveByFunction, count, totalMicros, ops),
    '',
  ].join('\n'),
);
