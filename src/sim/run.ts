/**
 * One seed, one run (issue 3): build a cluster, run clients against it through a safety phase
 * with a random mix of faults, then heal everything and run the liveness phase (wait for what is
 * in flight, then drive convergence), and judge the history and the disks with every checker.
 * Everything random comes from the seed, so `runSeed` is a pure function of its options: the
 * same seed gives the same history, the same trace digest and the same verdict.
 */
import { createHash } from 'node:crypto';
import { defaultBucketProps, type Durability } from '../core/limits.ts';
import type { Ring } from '../core/ring/types.ts';
import type { SimBugs } from './bugs.ts';
import { runCheckers, type Violation } from './checkers/index.ts';
import { defaultDiskConfig } from './disk.ts';
import { randomFaultSchedule, scheduleFault, type Fault, type FaultKind } from './faults.ts';
import { History } from './history.ts';
import { listEveryKey } from './checkers/listing.ts';
import { convergeByAntiEntropy, convergeByReadRepair, type LivenessResult } from './liveness.ts';
import { membershipSettleMsMax, settleMembership } from './membership-settle.ts';
import { defaultNetworkConfig } from './network.ts';
import { Oracle } from './oracle.ts';
import { Prng } from './prng.ts';
import { formatFailure } from './report.ts';
import { defaultMix, SimClient, type Choice, type WorkloadContext } from './workload.ts';
import { SimWorld } from './world.ts';

export interface RunOptions {
  readonly seed: number;
  readonly nodesCount: number;
  readonly partitionCount: number;
  readonly clientsCount: number;
  readonly keysCount: number;
  /** Length of the safety phase (clients and faults), simulated. */
  readonly safetyMs: number;
  readonly faultsMax: number;
  readonly wipesMax: number;
  /** Fault kinds to draw from (all by default). */
  readonly faultKinds?: readonly FaultKind[] | undefined;
  readonly requestTimeoutMs: number;
  readonly clientTimeoutMs: number;
  readonly thinkMsMean: number;
  readonly hotKeyShare: number;
  readonly mix: Readonly<Record<Choice, number>>;
  readonly bugs: SimBugs;
  /**
   * How the liveness phase converges: `antiEntropy` (default) only lets time pass while the
   * nodes' exchanges repair; `readRepair` turns anti-entropy off and drives R = N reads instead.
   */
  readonly convergeBy: 'antiEntropy' | 'readRepair';
  /** The bucket's durability (Dynamo §6.1): which crashes may cost an acknowledged write. */
  readonly durability: Durability;
}

/**
 * Small and short: five nodes, a handful of hot keys, two simulated seconds of faults. Small
 * clusters meet the interesting interleavings more often than big ones (FoundationDB's and
 * TigerBeetle's experience), and short runs mean many seeds.
 */
export const defaultRunOptions: Omit<RunOptions, 'seed'> = {
  nodesCount: 5,
  partitionCount: 16,
  clientsCount: 4,
  keysCount: 5,
  safetyMs: 2_000,
  faultsMax: 4,
  wipesMax: 1,
  requestTimeoutMs: 300,
  clientTimeoutMs: 500,
  thinkMsMean: 15,
  hotKeyShare: 0.3,
  mix: defaultMix,
  bugs: {},
  convergeBy: 'antiEntropy',
  durability: defaultBucketProps.durability,
};

/**
 * Anti-entropy in the simulator: an exchange every 20 ms per node (five nodes sweep their
 * partitions in well under a simulated second) and a short timeout, so a lost message costs
 * little. Budgets stay the production defaults.
 */
const simAntiEntropy = { exchangeIntervalMs: 20, exchangeTimeoutMs: 500 } as const;
/**
 * Tombstone collection in the simulator: a round every 50 ms per node, so the tombstones of a
 * run's deletes are collected many times over while faults and late messages are about.
 */
const simTombstones = { roundIntervalMs: 50, scanIntervalMs: 10, roundTimeoutMs: 500, epochsQueryIntervalMs: 20 } as const;
/** Simulated time anti-entropy gets to converge after healing. */
const antiEntropyConvergeMsMax = 5_000;
const antiEntropyStepMs = 50;

export const simBucket = 'sim';
/** The liveness phase's listing asks for pages of 1 to this many keys (by seed), so that it pages. */
const listingPageKeysMax = 9;

/** Time after healing for requests in flight to finish or time out before repair starts. */
const settleMs = 200;
const livenessRoundsMax = 3;
const livenessRoundMs = 200;

export interface RunStats {
  readonly operations: number;
  readonly ok: number;
  readonly failed: number;
  readonly unknown: number;
  readonly steps: number;
  readonly messages: number;
  /** Tombstones dropped from disks by collection rounds (a key dropped on three replicas counts three). */
  readonly tombstonesCollected: number;
}

export interface RunResult {
  readonly seed: number;
  readonly options: RunOptions;
  readonly faults: readonly Fault[];
  readonly history: History;
  readonly violations: readonly Violation[];
  readonly liveness: LivenessResult | undefined;
  /** The ring the cluster served at the end (membership faults change it). */
  readonly finalRing: Ring | undefined;
  readonly stats: RunStats;
  /** Digest of every node input in order, and of the history: equal for equal seeds. */
  readonly traceDigest: string;
  readonly historyDigest: string;
  readonly ok: boolean;
  /** The failure report (seed, faults, violations, history excerpt), or '' when ok. */
  readonly report: string;
}

export function runSeed(partial: Partial<RunOptions> & { seed: number }): RunResult {
  const options: RunOptions = { ...defaultRunOptions, ...partial };
  const prng = new Prng(options.seed);
  const faultPrng = prng.fork('faults');
  const workloadPrng = prng.fork('workload');
  const worldPrng = prng.fork('world');
  const nodeNames = Array.from({ length: options.nodesCount }, (_, i) => `n${i + 1}`);
  const keys = Array.from({ length: options.keysCount }, (_, i) => `k${i + 1}`);
  const faults = randomFaultSchedule(faultPrng, {
    nodeNames,
    startMs: 50,
    endMs: options.safetyMs - 50,
    faultsMax: options.faultsMax,
    wipesMax: options.wipesMax,
    kinds: options.faultKinds,
    spareNodeNames: [`n${options.nodesCount + 1}`],
  });
  const spareNodeNames = faults.flatMap((fault) => (fault.kind === 'join' || (fault.kind === 'abort' && fault.change === 'join') ? [fault.node] : []));
  const history = new History();
  const oracle = new Oracle();
  let world: SimWorld | undefined;
  let liveness: LivenessResult | undefined;
  let violations: Violation[];
  try {
    world = new SimWorld(
      {
        nodeNames,
        partitionCount: options.partitionCount,
        bucketProps: { ...defaultBucketProps, durability: options.durability },
        requestTimeoutMs: options.requestTimeoutMs,
        network: defaultNetworkConfig,
        disk: defaultDiskConfig,
        clientLatencyUsMin: 100,
        clientLatencyUsMax: 1_000,
        bugs: options.bugs,
        spareNodeNames,
        antiEntropy: options.convergeBy === 'antiEntropy' ? simAntiEntropy : { enabled: false },
        tombstones: simTombstones,
      },
      worldPrng,
      oracle,
    );
    oracle.attach(world);
    liveness = simulate(world, options, faults, history, oracle, workloadPrng, keys);
    const livenessMs = settleMs + liveness.elapsedMs;
    // Converged, a listing through a member has one right answer (checkers/listing.ts).
    const members = [...world.ring.nodes.keys()];
    const listing = liveness.converged ? listEveryKey(world, members[options.seed % members.length]!, simBucket, 1 + (options.seed % listingPageKeysMax)) : undefined;
    violations = runCheckers({ world, history, oracle, livenessMs, antiEntropy: options.convergeBy === 'antiEntropy', listing: { bucket: simBucket, keys, run: listing } });
  } catch (error) {
    violations = [{ checker: 'exception', message: error instanceof Error ? (error.stack ?? error.message) : String(error), entryIds: [] }];
  }
  return result(options, faults, history, oracle, violations, liveness, world);
}

function simulate(world: SimWorld, options: RunOptions, faults: readonly Fault[], history: History, oracle: Oracle, prng: Prng, keys: string[]): LivenessResult {
  for (const fault of faults) scheduleFault(world, fault);
  const shared: WorkloadContext = { world, history, oracle, bucketProps: world.config.bucketProps, stopMs: options.safetyMs, nextLabel: 1 };
  const workload = { clientsCount: options.clientsCount, bucket: simBucket, keys, hotKeyShare: options.hotKeyShare, thinkMsMean: options.thinkMsMean, clientTimeoutMs: options.clientTimeoutMs, mix: options.mix, quorumOverrideShare: 0.2 };
  for (let i = 1; i <= options.clientsCount; i++) new SimClient(`c${i}`, shared, workload, prng.fork(`client ${i}`)).start();
  world.runUntil(options.safetyMs);
  heal(world);
  world.runUntil(options.safetyMs + options.clientTimeoutMs + settleMs);
  const membership = settleMembership(world);
  if (!membership.settled) throw new Error(`membership did not settle within ${membershipSettleMsMax} simulated ms`);
  if (options.convergeBy === 'antiEntropy') {
    return convergeByAntiEntropy(world, { bucket: simBucket, keys, convergeMsMax: antiEntropyConvergeMsMax, stepMs: antiEntropyStepMs });
  }
  return convergeByReadRepair(world, history, {
    bucket: simBucket,
    keys,
    roundsMax: livenessRoundsMax,
    roundMs: livenessRoundMs,
    readTimeoutMs: options.requestTimeoutMs,
  });
}

/** The end of the safety phase: every node up, every link clean, every disk fast. */
function heal(world: SimWorld): void {
  for (const name of world.nodeNames) {
    world.restart(name);
    world.disk(name).latencyScale = 1;
  }
  world.network.heal();
}

function result(options: RunOptions, faults: readonly Fault[], history: History, oracle: Oracle, violations: Violation[], liveness: LivenessResult | undefined, world: SimWorld | undefined): RunResult {
  const entries = history.entries.filter((entry) => entry.client !== 'repair');
  const stats: RunStats = {
    operations: entries.length,
    ok: entries.filter((entry) => entry.outcome === 'ok').length,
    failed: entries.filter((entry) => entry.outcome === 'failed').length,
    unknown: entries.filter((entry) => entry.outcome === 'unknown').length,
    steps: world?.stepsCount ?? 0,
    messages: world?.network.stats.sent ?? 0,
    tombstonesCollected: oracle.collections.length,
  };
  const ok = violations.length === 0;
  const report = ok ? '' : formatFailure({ seed: options.seed, replay: replayCommand(options), faults, violations, history, world, bucket: simBucket });
  return {
    seed: options.seed,
    options,
    faults,
    history,
    violations,
    liveness,
    finalRing: world?.ring,
    stats,
    traceDigest: world?.traceDigest() ?? '',
    historyDigest: createHash('sha256').update(JSON.stringify(history.entries)).digest('hex'),
    ok,
    report,
  };
}

/** CLI flags for the options the CLI can set (cli.ts). */
const cliFlags: readonly (readonly [keyof RunOptions, string])[] = [
  ['nodesCount', 'nodes'],
  ['partitionCount', 'partitions'],
  ['clientsCount', 'clients'],
  ['keysCount', 'keys'],
  ['safetyMs', 'duration-ms'],
  ['faultsMax', 'faults-max'],
  ['wipesMax', 'wipes-max'],
  ['convergeBy', 'converge-by'],
];

/** The command that replays this run exactly (with a note for options only code can set). */
export function replayCommand(options: RunOptions): string {
  const parts = [`npm run sim -- --seed ${options.seed}`];
  for (const [name, value] of Object.entries(options.bugs)) if (value) parts.push(`--bug ${name}`);
  if (options.faultKinds) parts.push(`--faults ${options.faultKinds.join(',')}`);
  for (const [option, flag] of cliFlags) if (options[option] !== defaultRunOptions[option as keyof typeof defaultRunOptions]) parts.push(`--${flag} ${String(options[option])}`);
  const codeOnly = (['requestTimeoutMs', 'clientTimeoutMs', 'thinkMsMean', 'hotKeyShare', 'mix'] as const).filter(
    (option) => JSON.stringify(options[option]) !== JSON.stringify(defaultRunOptions[option]),
  );
  if (codeOnly.length > 0) parts.push(`(and in code: ${codeOnly.map((option) => `${option}=${JSON.stringify(options[option])}`).join(', ')})`);
  return parts.join(' ');
}
