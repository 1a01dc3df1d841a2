/**
 * Where the time goes: sums the self time of V8 CPU profiles (`node --cpu-prof`, e.g. from
 * `npm run bench -- --cpu-prof DIR`) by function and by source file / package, and prints the top
 * entries. Usage: node --import tsx bench/profile-summary.ts DIR_OR_FILES… [--top N]
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

const topDefault = 30;

function profileFiles(paths: readonly string[]): string[] {
  return paths.flatMap((path) =>
    statSync(path).isDirectory()
      ? readdirSync(path).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(path, f))
      : [path],
  );
}

/** `node_modules/<pkg>` for dependencies, the repo-relative path for our code, `(node)` for built-ins. */
function ownerOf(url: string): string {
  if (!url) return '(native / gc / idle)';
  const dependency = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (dependency) return `npm:${dependency[1]}`;
  if (url.startsWith('node:')) return url;
  const ours = /\/(src|bench|bin)\/(.*)$/.exec(url);
  return ours ? `${ours[1]}/${ours[2]}` : url;
}

function addTo(map: Map<string, number>, key: string, micros: number): void {
  map.set(key, (map.get(key) ?? 0) + micros);
}

function summarize(files: readonly string[]): { byFunction: Map<string, number>; byOwner: Map<string, number>; totalMicros: number } {
  const byFunction = new Map<string, number>();
  const byOwner = new Map<string, number>();
  let totalMicros = 0;
  for (const file of files) {
    const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
    const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
    profile.samples.forEach((id, i) => {
      const micros = profile.timeDeltas[i] ?? 0;
      const frame = nodes.get(id)?.callFrame;
      if (!frame) return;
      if (frame.functionName === '(idle)' || frame.functionName === '(program)') return;
      totalMicros += micros;
      const owner = ownerOf(frame.url);
      addTo(byFunction, `${frame.functionName || '(anonymous)'}  ${owner}:${frame.lineNumber + 1}`, micros);
      addTo(byOwner, owner, micros);
    });
  }
  return { byFunction, byOwner, totalMicros };
}

function top(map: Map<string, number>, count: number, total: number): string[] {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([key, micros]) => `${((micros / total) * 100).toFixed(1).padStart(5)}%  ${(micros / 1000).toFixed(0).padStart(7)} ms  ${key}`);
}

const args = process.argv.slice(2);
const topIndex = args.indexOf('--top');
const count = topIndex >= 0 ? Number(args.splice(topIndex, 2)[1]) : topDefault;
const files = profileFiles(args);
if (files.length === 0) {
  process.stderr.write('usage: node --import tsx bench/profile-summary.ts DIR_OR_FILES… [--top N]\n');
  process.exit(2);
}
const { byFunction, byOwner, totalMicros } = summarize(files);
process.stdout.write(
  [
    `${files.length} profiles, ${(totalMicros / 1e6).toFixed(2)} s of busy samples (idle and (program) excluded)`,
    '',
    'by file / package (self time):',
    ...top(byOwner, count, totalMicros),
    '',
    'by function (self time):',
    ...top(byFunction, count, totalMicros),
    '',
  ].join('\n'),
);
