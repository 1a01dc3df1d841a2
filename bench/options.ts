/**
 * Flags of `npm run bench` (and `npm run bench:dynamo`). Bad flags fail at once with a clear
 * message (KvorumError bad_config), before any server starts.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { KvorumError } from '../src/core/errors.ts';
import { workloadByName, workloadNames, type Workload } from './ycsb/workloads.ts';
import type { ValueLayout } from './ycsb/values.ts';
import { valueBytesDefault } from './ycsb/values.ts';
import { kvorumNodesDefault, kvorumNodesMax } from './systems/kvorum.ts';

export const usage = `
Usage: npm run bench -- [options]

  --systems LIST        systems to run: kvorum,redis,etcd,floor (default all four; floor is
                        issue 10's minimal replicated store, the least this design costs)
  --drivers LIST        only these drivers, as system:driver (e.g. kvorum:binary,etcd:gateway);
                        kvorum: binary (durability one), binary-sync, binary-buffered,
                        client (the client over HTTP), http; redis: ioredis;
                        etcd: etcd3, gateway; floor: framed-nosync, framed-one, framed-sync
  --workloads LIST      YCSB workloads: a,b,c,f,write (default all)
  --concurrency LIST    requests in flight per closed loop (default 1,16,64,256)
  --duration-s S        timed part of each run (default 15)
  --warmup-s S          warm-up before each run, not measured (default 3)
  --records N           records loaded before the runs (default 100000)
  --load-concurrency N  inserts in flight during the load phase (default 32)
  --value-layout L      single (one value of --value-bytes) or ycsb (10 fields × 100 bytes)
  --value-bytes B       size of a single value (default 100)
  --seed N              seed of the request streams (default 1)
  --rounds N            run every system N times, in turn (default 1); ratios and targets are
                        then judged on each cell's median over the rounds, shown with its spread
  --out-dir DIR         where results go (default bench/results)
  --quick               10,000 records, 1 s warm-up, 5 s runs (flags given explicitly still win)
  --keep-data           keep the servers' temp data dirs
  --cpu-prof DIR        write a V8 CPU profile of each kvorum node process into DIR (the
                        floor's into DIR/floor)
  --kvorum-nodes N      kvorum node processes (default 3; with N=3 replicas, more nodes make
                        server-driven requests forward, which client-driven routing avoids)
  --no-setup            do not run bench/setup.sh (Debian packages of the peers)
  --quiet               no progress on stderr
  -h, --help            this text
`;

export interface BenchOptions {
  readonly systems: readonly string[];
  readonly drivers: readonly string[] | undefined;
  readonly workloads: readonly Workload[];
  readonly concurrency: readonly number[];
  readonly durationS: number;
  readonly warmupS: number;
  readonly records: number;
  readonly loadConcurrency: number;
  readonly valueLayout: ValueLayout;
  readonly valueBytes: number;
  readonly seed: number;
  /** Times every system runs, one after another per round (report/rounds.ts). */
  readonly rounds: number;
  readonly outDir: string;
  readonly keepData: boolean;
  readonly cpuProfileDir: string | undefined;
  readonly kvorumNodes: number;
  readonly setup: boolean;
  readonly quiet: boolean;
  readonly help: boolean;
}

export interface OptionDefaults {
  readonly systems: readonly string[];
  readonly workloads: readonly string[];
  readonly concurrency: readonly number[];
  readonly durationS: number;
  readonly warmupS: number;
  readonly records: number;
}

export const benchDefaults: OptionDefaults = {
  systems: ['kvorum', 'redis', 'etcd', 'floor'],
  workloads: workloadNames,
  concurrency: [1, 16, 64, 256],
  durationS: 15,
  warmupS: 3,
  records: 100_000,
};

const quick = { records: 10_000, durationS: 5, warmupS: 1 };
const concurrencyMax = 4096;
/** The default full run takes ~35 minutes a round on the reference machine (YCSB-A alone at C = 1 and 64, ~4). */
export const roundsMax = 20;
const recordsMax = 100_000_000;

function bad(flag: string, message: string): never {
  throw new KvorumError('bad_config', `--${flag}: ${message}`);
}

function list(text: string): string[] {
  return text.split(',').map((s) => s.trim()).filter(Boolean);
}

function number(flag: string, text: string | undefined, fallback: number, min: number, max: number, integer: boolean): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    bad(flag, `expected ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got ${JSON.stringify(text)}`);
  }
  return value;
}

export function parseOptions(argv: readonly string[], defaults: OptionDefaults = benchDefaults): BenchOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        systems: { type: 'string' },
        drivers: { type: 'string' },
        workloads: { type: 'string' },
        concurrency: { type: 'string' },
        'duration-s': { type: 'string' },
        'warmup-s': { type: 'string' },
        records: { type: 'string' },
        'load-concurrency': { type: 'string' },
        'value-layout': { type: 'string' },
        'value-bytes': { type: 'string' },
        seed: { type: 'string' },
        rounds: { type: 'string' },
        'out-dir': { type: 'string' },
        quick: { type: 'boolean' },
        'keep-data': { type: 'boolean' },
        'cpu-prof': { type: 'string' },
        'kvorum-nodes': { type: 'string' },
        'no-setup': { type: 'boolean' },
        quiet: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new KvorumError('bad_config', `${(error as Error).message}\n${usage}`);
  }
  const v = parsed.values;
  const isQuick = v.quick === true;
  const systems = v.systems ? list(v.systems) : [...defaults.systems];
  if (systems.length === 0) bad('systems', 'name at least one system');
  const workloads = (v.workloads ? list(v.workloads) : [...defaults.workloads]).map(workloadByName);
  const concurrency = v.concurrency
    ? list(v.concurrency).map((c) => number('concurrency', c, 1, 1, concurrencyMax, true))
    : [...defaults.concurrency];
  const layout = v['value-layout'] ?? 'single';
  if (layout !== 'single' && layout !== 'ycsb') bad('value-layout', `expected single or ycsb, got ${JSON.stringify(layout)}`);
  return {
    systems,
    drivers: v.drivers ? list(v.drivers) : undefined,
    workloads,
    concurrency,
    durationS: number('duration-s', v['duration-s'], isQuick ? quick.durationS : defaults.durationS, 0.1, 3600, false),
    warmupS: number('warmup-s', v['warmup-s'], isQuick ? quick.warmupS : defaults.warmupS, 0, 600, false),
    records: number('records', v.records, isQuick ? Math.min(quick.records, defaults.records) : defaults.records, 1, recordsMax, true),
    loadConcurrency: number('load-concurrency', v['load-concurrency'], 32, 1, concurrencyMax, true),
    valueLayout: layout,
    valueBytes: number('value-bytes', v['value-bytes'], valueBytesDefault, 1, 1024 * 1024, true),
    seed: number('seed', v.seed, 1, 0, 2 ** 32 - 1, true),
    rounds: number('rounds', v.rounds, 1, 1, roundsMax, true),
    outDir: v['out-dir'] ?? 'bench/results',
    keepData: v['keep-data'] === true,
    cpuProfileDir: v['cpu-prof'] === undefined ? undefined : resolve(v['cpu-prof']),
    kvorumNodes: number('kvorum-nodes', v['kvorum-nodes'], kvorumNodesDefault, kvorumNodesDefault, kvorumNodesMax, true),
    setup: v['no-setup'] !== true,
    quiet: v.quiet === true,
    help: v.help === true,
  };
}
