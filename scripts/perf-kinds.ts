/**
 * Where a benchmark cell's server CPU goes, by kind of work, in µs per operation — the table of
 * docs/benchmarks.md that sets kvorum beside the floor store. Reads `perf script` output of
 * samples taken at a known frequency over the node processes (nodes started with
 * KVORUM_BENCH_NODE_FLAGS="--perf-basic-prof --no-compact-code-space --no-flush-bytecode", maps
 * rewritten with scripts/perf-map-latest.ts), and gives each sample to one kind of work by the
 * innermost JavaScript frame on its stack (GC, and samples without one, by their native frames).
 *
 *   node --import tsx scripts/perf-kinds.ts --hz 499 FLOOR.txt OPS [KVORUM.txt OPS …]
 *
 * OPS: the operations the cell made while perf recorded (its ops/s × the seconds recorded).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const gcFrames = ['Scavenge', 'MarkCompact', 'ConcurrentMarking', 'Heap::CollectGarbage', 'Sweeper', 'ArrayBufferSweeper'];
const jsFrame = /JS:[*^~]?(\S*) (\S+?):\d+/;

/** The kinds, in the order the first match wins: by the innermost JavaScript frame's path and name. */
const kindsByFrame: readonly (readonly [kind: string, matches: (name: string, path: string, leaf: string) => boolean])[] = [
  ['MD5 and HMAC (anti-entropy digests, context tokens)', (_, path, leaf) => path.includes('crypto/hash') || leaf.includes('md5') || leaf.toLowerCase().includes('sha256')],
  ['the key\'s ring hash (cache lookups)', (name, path) => ['targetProblem', 'partitionOf', 'keyHash'].includes(name) || path.includes('ring/hash')],
  ['context tokens (outside the HMAC)', (_, path) => path.includes('context-token') || path.includes('base64url')],
  ['anti-entropy digest (outside the MD5)', (_, path) => path.includes('antientropy')],
  ['LMDB reads', (name, path) => name.includes('getBinaryFast') || path.includes('lmdb/read') || path.includes('storage/lmdb')],
  ['LMDB writes (main thread)', (_, path) => path.includes('lmdb/write') || path.includes('ordered-binary')],
  ['msgpack', (_, path) => path.includes('msgpackr')],
  ['core: causal versions', (_, path) => path.includes('core/version')],
  ['core: logic and checks of peers\' messages', (_, path) => path.includes('core/')],
  ['storage: write buffer, keys, store executor', (_, path) => path.includes('storage/') || path.includes('store-executor') || path.includes('stored-objects')],
  ['client protocol', (_, path) => path.includes('client-protocol')],
  ['framing and peer transport', (_, path) => path.includes('transport') || path.includes('wire/')],
  ['the floor store\'s logic', (_, path) => path.includes('bench/floor')],
  ['socket reads and writes', (_, path) => ['streams/writable', 'streams/readable', 'stream_base', 'node:net'].some((part) => path.includes(part))],
  ['runtime glue and metrics', (_, path) => path.includes('runtime/') || path.includes('metrics')],
];

function kindOf(frames: readonly string[]): string {
  const stack = frames.join(' ');
  if (gcFrames.some((frame) => stack.includes(frame))) return 'GC';
  const js = frames.map((frame) => jsFrame.exec(frame)).find((match) => match !== null);
  if (js === undefined) {
    if (stack.includes('mdb_') || stack.includes('lmdb')) return 'LMDB writer thread and native';
    if (stack.includes('uv__work') || stack.includes('start_thread')) return 'other threads (the pool: log appends, fs)';
    return 'event loop and kernel wake-ups';
  }
  const [, name = '', path = ''] = js;
  return kindsByFrame.find(([, matches]) => matches(name, path, frames[0] ?? ''))?.[0] ?? 'other JavaScript (Node\'s internals)';
}

function samplesByKind(file: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const sample of readFileSync(file, 'utf8').split('\n\n')) {
    const lines = sample.trim().split('\n').map((line) => line.trim());
    if (lines.length < 2) continue;
    const kind = kindOf(lines.slice(1));
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  return counts;
}

const { values, positionals } = parseArgs({ options: { hz: { type: 'string', default: '499' } }, allowPositionals: true });
const hz = Number(values.hz);
if (!(hz > 0) || positionals.length === 0 || positionals.length % 2 !== 0) {
  console.error('usage: node --import tsx scripts/perf-kinds.ts --hz 499 PERF.txt OPS [PERF.txt OPS …]');
  process.exit(2);
}
const columns: { counts: Map<string, number>; ops: number }[] = [];
for (let i = 0; i < positionals.length; i += 2) columns.push({ counts: samplesByKind(positionals[i]!), ops: Number(positionals[i + 1]) });
const usPerOp = (samples: number, ops: number): number => (samples / hz / ops) * 1e6;
const last = columns[columns.length - 1]!;
const kinds = [...new Set(columns.flatMap(({ counts }) => [...counts.keys()]))].sort((a, b) => (last.counts.get(b) ?? 0) - (last.counts.get(a) ?? 0));
for (const kind of kinds) console.log(kind.padEnd(54) + columns.map(({ counts, ops }) => usPerOp(counts.get(kind) ?? 0, ops).toFixed(1).padStart(8)).join(''));
console.log('total'.padEnd(54) + columns.map(({ counts, ops }) => usPerOp([...counts.values()].reduce((a, b) => a + b, 0), ops).toFixed(1).padStart(8)).join(''));
