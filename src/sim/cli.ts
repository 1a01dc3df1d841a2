/**
 * The simulator's command line (issue 3, issue 13). `npm run sim -- --help` prints the options,
 * the fault mixes, the repair modes and the deliberate bugs (`usage` below). Exits 1 when any
 * seed fails, 2 on a bad option.
 */
import { parseArgs } from 'node:util';
import { durabilities, type Durability } from '../core/limits.ts';
import { bugNames, type BugName, type SimBugs } from './bugs.ts';
import { describeFault, faultKinds, type FaultKind } from './faults.ts';
import { describeEntry } from './report.ts';
import { defaultRunOptions, repairModes, runSeed, type RunOptions, type RunResult } from './run.ts';
import { faultMixes, faultMixNames, type FaultMixName } from './fault-mixes.ts';
import { summarizeRuns, type RunOutcome } from './summary.ts';

const { values } = parseArgs({
  options: {
    seed: { type: 'string' },
    seeds: { type: 'string' },
    from: { type: 'string', default: '1' },
    nodes: { type: 'string' },
    partitions: { type: 'string' },
    clients: { type: 'string' },
    keys: { type: 'string' },
    'duration-ms': { type: 'string' },
    'faults-max': { type: 'string' },
    'wipes-max': { type: 'string' },
    'converge-by': { type: 'string' },
    mix: { type: 'string' },
    'hot-keys': { type: 'string' },
    preload: { type: 'string' },
    zones: { type: 'string' },
    durability: { type: 'string' },
    faults: { type: 'string' },
    bug: { type: 'string', multiple: true, default: [] },
    history: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

function fail(message: string): never {
  console.error(`sim: ${message}`);
  process.exit(2);
}

function integer(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) fail(`--${name} must be a non-negative integer, got ${JSON.stringify(text)}`);
  return value;
}

function parseFaults(text: string | undefined): FaultKind[] | undefined {
  if (text === undefined) return undefined;
  const kinds = text.split(',').map((kind) => kind.trim());
  for (const kind of kinds) if (!(faultKinds as readonly string[]).includes(kind)) fail(`unknown fault kind ${JSON.stringify(kind)} (known: ${faultKinds.join(', ')})`);
  return kinds as FaultKind[];
}

function parseConvergeBy(text: string | undefined): RunOptions['convergeBy'] | undefined {
  if (text === undefined || (repairModes as readonly string[]).includes(text)) return text as RunOptions['convergeBy'] | undefined;
  return fail(`--converge-by must be one of ${repairModes.join(', ')}, got ${JSON.stringify(text)}`);
}

function parseMix(text: string | undefined): FaultMixName | undefined {
  if (text === undefined || (faultMixNames as readonly string[]).includes(text)) return text as FaultMixName | undefined;
  return fail(`--mix must be one of ${faultMixNames.join(', ')}, got ${JSON.stringify(text)}`);
}

function parseDurability(text: string | undefined): Durability | undefined {
  if (text === undefined || (durabilities as readonly string[]).includes(text)) return text as Durability | undefined;
  return fail(`--durability must be one of ${durabilities.join(', ')}, got ${JSON.stringify(text)}`);
}

function parseBugs(names: readonly string[]): SimBugs {
  const bugs: Partial<Record<BugName, boolean>> = {};
  for (const name of names) {
    if (!(bugNames as readonly string[]).includes(name)) fail(`unknown bug ${JSON.stringify(name)} (known: ${bugNames.join(', ')})`);
    bugs[name as BugName] = true;
  }
  return bugs;
}

function runOptions(): Omit<Partial<RunOptions>, 'seed'> {
  const options: Record<string, unknown> = {
    nodesCount: integer('nodes', values.nodes),
    partitionCount: integer('partitions', values.partitions),
    clientsCount: integer('clients', values.clients),
    keysCount: integer('keys', values.keys),
    hotKeysCount: integer('hot-keys', values['hot-keys']),
    preloadKeysCount: integer('preload', values.preload),
    zonesCount: integer('zones', values.zones),
    faultMix: parseMix(values.mix),
    safetyMs: integer('duration-ms', values['duration-ms']),
    faultsMax: integer('faults-max', values['faults-max']),
    wipesMax: integer('wipes-max', values['wipes-max']),
    faultKinds: parseFaults(values.faults),
    convergeBy: parseConvergeBy(values['converge-by']),
    durability: parseDurability(values.durability),
    bugs: parseBugs(values.bug ?? []),
  };
  for (const key of Object.keys(options)) if (options[key] === undefined) delete options[key];
  return options as Omit<Partial<RunOptions>, 'seed'>;
}

function describeRun(result: RunResult): string {
  const { stats, liveness } = result;
  const convergence = liveness ? `${liveness.converged ? "converged" : "NOT converged"} ${liveness.elapsedMs} ms after healing (${liveness.rounds} round(s))` : "no liveness phase";
  return (
    `seed ${result.seed}: ${result.ok ? 'ok' : 'FAILED'} (mix ${result.mix}) — ${stats.operations} operations (${stats.ok} ok, ${stats.failed} failed, ${stats.unknown} unknown), ` +
    `${result.faults.length} fault(s), ${stats.messages} messages, ${stats.tombstonesCollected} tombstones collected, ${convergence}; trace ${result.traceDigest.slice(0, 16)}`
  );
}

function replayOne(seed: number): void {
  const result = runSeed({ seed, ...runOptions() });
  console.log(describeRun(result));
  if (values.history) {
    for (const entry of result.history.entries) console.log(describeEntry(entry));
  }
  if (!result.ok) {
    console.log(`\n${result.report}`);
    process.exitCode = 1;
  } else {
    for (const fault of result.faults) console.log(`  fault ${describeFault(fault)}`);
  }
}

function runMany(count: number, from: number): void {
  const options = runOptions();
  // Only what the summary needs: keeping every seed's world ran out of heap near seed 950.
  const results: RunOutcome[] = [];
  const startedMs = performance.now();
  for (let seed = from; seed < from + count; seed++) {
    const result = runSeed({ seed, ...options });
    const { ok, mix, faults, stats, violations } = result;
    results.push({ seed, ok, mix, faults, stats, violations });
    if (!result.ok && results.filter((r) => !r.ok).length === 1) console.log(`${result.report}\n`);
    if ((seed - from + 1) % 100 === 0) console.error(`… ${seed - from + 1}/${count} seeds, ${results.filter((r) => !r.ok).length} failed`);
  }
  const elapsedS = (performance.now() - startedMs) / 1000;
  console.log(summarizeRuns(results, elapsedS).join('\n'));
  if (results.some((result) => !result.ok)) process.exitCode = 1;
}

function usage(): string[] {
  const d = defaultRunOptions;
  return [
    'usage: npm run sim -- --seed S [--history]       one seed, replayed exactly: its numbers, and its report if it fails',
    '       npm run sim -- --seeds COUNT [--from F]   seeds F..F+COUNT-1 (F = 1): a summary per fault kind and per fault mix',
    '',
    'the cluster and the workload:',
    `  --nodes ${d.nodesCount} --partitions ${d.partitionCount} --zones ${d.zonesCount} --clients ${d.clientsCount} --duration-ms ${d.safetyMs} (the safety phase)`,
    `  --keys ${d.keysCount} (k1… over the buckets ${d.buckets.map((bucket) => `${bucket.name} N=${bucket.n ?? 3}`).join(', ')}) --hot-keys ${d.hotKeysCount} (half the operations) --preload ${d.preloadKeysCount} (cold keys written first)`,
    '  --durability sync|one|buffered        every bucket\'s (default one: docs/durability.md)',
    '',
    'the repair paths (--converge-by; docs/simulation.md, "Every repair path on its own"):',
    '  all          anti-entropy, read repair and hinted handoff, as the cluster runs (default); the liveness phase waits',
    '  antiEntropy  anti-entropy alone: no read repair, no sloppy quorum (so no hints); the phase waits for the exchanges',
    '  readRepair   read repair alone: no anti-entropy, no hints; the phase reads every key with R = N until they agree',
    '  handoff      hinted handoff alone: no anti-entropy, no read repair; hints drain, and every hint must reach its',
    '               owner (convergence is anti-entropy\'s promise, Dynamo §4.7, and is not asked)',
    '',
    `the faults: each seed draws a mix by weight (--mix forces one; --faults kind,… makes it uniform over those kinds):`,
    ...faultMixNames.map((name) => `  ${name.padEnd(28)} weight ${faultMixes[name].weight}: ${faultMixes[name].description}`),
    `  --faults-max ${d.faultsMax} --wipes-max ${d.wipesMax} (the uniform mix)`,
    `  fault kinds: ${faultKinds.join(', ')}`,
    '',
    'deliberate bugs (--bug name, repeatable; src/sim/bugs.ts, docs/simulation.md has the catalogue):',
    ...bugNames.map((name) => `  ${name}`),
  ];
}

if (values.help || (values.seed === undefined && values.seeds === undefined)) {
  console.log(usage().join('\n'));
} else if (values.seed !== undefined) {
  replayOne(integer('seed', values.seed)!);
} else {
  runMany(integer('seeds', values.seeds)!, integer('from', values.from)!);
}
