/**
 * `npm run bench:dynamo`: the comparisons of the Dynamo paper, as extra runs of the same harness
 * on a kvorum cluster alone.
 *
 * - Client-driven vs server-driven coordination (Dynamo §6.4, Table 2: the client-driven
 *   approach cut the 99.9th percentile latency about in half): `kvorum/client` (the client
 *   routes to a top-N node) against `kvorum/http` (the HTTP API of a random node, which forwards
 *   when it is not in the key's preference list).
 * - (N,R,W) = (3,2,2) vs (3,1,3) vs (3,1,1) (Dynamo §4.5, §6: R and W trade latency and
 *   durability): the same client on three buckets configured so.
 */
import { KvorumError } from '../src/core/errors.ts';
import type { BucketProps } from '../src/core/limits.ts';
import { commandLine, runBench, runEntry } from './bench.ts';
import { parseOptions, usage, type OptionDefaults } from './options.ts';
import { fmt, ratiosBetween } from './report/compare.ts';
import type { RunResult } from './result.ts';
import { cpuProfileArgs } from './systems/index.ts';
import { benchBucket, kvorumLauncher, type KvorumDriverSpec } from './systems/kvorum.ts';

const quorumBuckets: Readonly<Record<string, BucketProps>> = {
  [benchBucket]: { n: 3, r: 2, w: 2, resolution: 'siblings', pr: 0, pw: 0, durability: 'one' },
  'ycsb-r1w3': { n: 3, r: 1, w: 3, resolution: 'siblings', pr: 0, pw: 0, durability: 'one' },
  'ycsb-r1w1': { n: 3, r: 1, w: 1, resolution: 'siblings', pr: 0, pw: 0, durability: 'one' },
};

// Over HTTP, as the paper's comparisons were first run here: the routing is what is compared.
const drivers: readonly KvorumDriverSpec[] = [
  { name: 'client', bucket: benchBucket, routing: 'client', protocol: 'http' },
  { name: 'http', bucket: benchBucket, routing: 'http-random-node' },
  { name: 'client-r1w3', bucket: 'ycsb-r1w3', routing: 'client', protocol: 'http' },
  { name: 'client-r1w1', bucket: 'ycsb-r1w1', routing: 'client', protocol: 'http' },
];

const dynamoDefaults: OptionDefaults = {
  systems: ['kvorum'],
  workloads: ['a', 'b'],
  concurrency: [1, 16, 64],
  durationS: 20,
  warmupS: 5,
  records: 100_000,
};

function dynamoRatios(runs: readonly RunResult[]) {
  return [
    ...ratiosBetween(runs, 'kvorum/http', 'kvorum/client'),
    ...ratiosBetween(runs, 'kvorum/client-r1w3', 'kvorum/client'),
    ...ratiosBetween(runs, 'kvorum/client-r1w1', 'kvorum/client'),
  ];
}

async function main(argv: readonly string[]): Promise<number> {
  const options = parseOptions(argv, dynamoDefaults);
  if (options.help) {
    process.stdout.write(usage.replace('npm run bench', 'npm run bench:dynamo'));
    return 0;
  }
  if (options.systems.some((s) => s !== 'kvorum')) throw new KvorumError('bad_config', '--systems: bench:dynamo runs kvorum only');
  const launcher = kvorumLauncher({ buckets: quorumBuckets, drivers, storage: 'lmdb', nodeArgs: cpuProfileArgs(options.cpuProfileDir), nodes: options.kvorumNodes });
  const { result, files } = await runBench(
    { title: 'kvorum — Dynamo comparisons (routing, N/R/W)', filePrefix: 'dynamo-', launchers: [launcher], needsSetup: false, ratios: dynamoRatios, targets: () => [] },
    options,
    commandLine('bench/dynamo.ts', argv),
  );
  const out: string[] = ['', `results: ${files.markdown}`, ''];
  for (const r of result.runs) {
    out.push(`${r.target.padEnd(20)} ${r.workload.toUpperCase().padEnd(5)} C=${String(r.concurrency).padEnd(3)} ${String(r.opsPerSec).padStart(8)} ops/s  p50 ${r.latency.p50Ms.toFixed(3)}  p99 ${r.latency.p99Ms.toFixed(3)}  p99.9 ${r.latency.p999Ms.toFixed(3)} ms  errors ${r.errors}`);
  }
  out.push('', 'ratios (ops/s, p99, p99.9):');
  for (const r of result.ratios) out.push(`  ${r.workload.toUpperCase()} C=${r.concurrency} ${r.numerator} ÷ ${r.denominator}: ${fmt(r.opsRatio)}× ops/s, ${fmt(r.p99Ratio)}× p99, ${fmt(r.p999Ratio)}× p99.9`);
  for (const f of result.failures) out.push(`FAILED ${f.system}: ${f.error.split('\n')[0]}`);
  process.stdout.write(`${out.join('\n')}\n`);
  return result.failures.length > 0 || result.runs.some((r) => r.errors > 0) ? 1 : 0;
}

runEntry(main);
