/**
 * One seed, one run (issue 3): build a cluster, run clients against it through a safety phase
 * with a random mix of faults, then heal everything and run the liveness phase (wait for what is
 * in flight, then drive convergence), and judge the history and the disks with every checker.
 * Everything random comes from the seed, so `runSeed` is a pure function of its options: the
 * same seed gives the same history, the same trace digest and the same verdict.
 */
import { createHash } from 'node:crypto';
import { defaultBucketProps, type BucketProps, type Durability } from '../core/limits.ts';
import type { Ring } from '../core/ring/types.ts';
import type { TombstoneSettings } from '../core/tombstones/settings.ts';
import type { SimBugs } from './bugs.ts';
import { checkConverged, runCheckers, type Violation } from './checkers/index.ts';
import { defaultDiskConfig } from './disk.ts';
import { scheduleFault, type Fault, type FaultKind } from './faults.ts';
import { faultMixes, pickFaultMix, type FaultMixName } from './fault-mixes.ts';
import { History } from './history.ts';
import { listEveryKey } from './checkers/listing.ts';
import { awaitHandoff, convergeByAntiEntropy, convergeByReadRepair, type LivenessResult } from './liveness.ts';
import { membershipSettleMsMax, settleMembership } from './membership-settle.ts';
import { defaultNetworkConfig } from './network.ts';
import { Oracle } from './oracle.ts';
import { Prng } from './prng.ts';
import { formatFailure } from './report.ts';
import { defaultMix, SimClient, startLoad, type Choice, type KeyRef, type WorkloadContext } from './workload.ts';
import { microsPerMs } from './event-queue.ts';
import { SimWorld } from './world.ts';

export interface RunOptions {
  readonly seed: number;
  readonly nodesCount: number;
  readonly partitionCount: number;
  readonly clientsCount: number;
  /** The key space: this many keys (`k1`, `k2`…), dealt to the buckets in turn. */
  readonly keysCount: number;
  /** The first keys are hot: `hotKeyShare` of the operations go to one of them. */
  readonly hotKeysCount: number;
  /** Cold keys written at the start (blind puts, several at once), so the key space reaches every partition. */
  readonly preloadKeysCount: number;
  /** The buckets keys live in, each with its own N, R, W, pr, pw (durability is the run's). */
  readonly buckets: readonly BucketSpec[];
  /** Failure domains the nodes are dealt to in turn (0: no zones). */
  readonly zonesCount: number;
  /** Length of the safety phase (clients and faults), simulated. */
  readonly safetyMs: number;
  readonly faultsMax: number;
  readonly wipesMax: number;
  /** Fault kinds to draw from (all by default); given, the mix is `uniform` over them. */
  readonly faultKinds?: readonly FaultKind[] | undefined;
  /** The fault mix (fault-mixes.ts); by default each seed draws one by weight. */
  readonly faultMix?: FaultMixName | undefined;
  readonly requestTimeoutMs: number;
  readonly clientTimeoutMs: number;
  readonly thinkMsMean: number;
  readonly hotKeyShare: number;
  readonly mix: Readonly<Record<Choice, number>>;
  readonly bugs: SimBugs;
  /** Which repair paths run, and how the liveness phase converges (`repairModes`). */
  readonly convergeBy: RepairMode;
  /** The bucket's durability (Dynamo §6.1): which crashes may cost an acknowledged write. */
  readonly durability: Durability;
}

/** A bucket of the run: its name and the properties that differ from the defaults (N=3, R=2, W=2). */
export interface BucketSpec extends Partial<Omit<BucketProps, 'durability' | 'resolution'>> {
  readonly name: string;
}

/**
 * Three buckets with different N (issue 13 §3): the default one, a pair with W = N, and a wide
 * one of N = 4 (capped at the cluster's size) with pw = 1 (one of the W must be a primary). With
 * 4 zones and Q = 16, claim can keep every 4 consecutive partitions in 4 zones (spread.ts).
 */
export const defaultBuckets: readonly BucketSpec[] = [{ name: 'sim' }, { name: 'pair', n: 2, r: 1, w: 2 }, { name: 'wide', n: 4, r: 2, w: 3, pw: 1 }];

/**
 * Small and short: five nodes, a few hot keys among a thousand cold ones over three buckets,
 * two simulated seconds of faults. Small clusters meet the interesting interleavings more often
 * than big ones (FoundationDB's and TigerBeetle's experience), and short runs mean many seeds;
 * the cold keys make every partition, many hash-tree segments and every bucket's N matter.
 */
export const defaultRunOptions: Omit<RunOptions, 'seed'> = {
  nodesCount: 5,
  partitionCount: 16,
  clientsCount: 4,
  keysCount: 1_000,
  hotKeysCount: 4,
  preloadKeysCount: 200,
  buckets: defaultBuckets,
  zonesCount: 4,
  safetyMs: 2_000,
  faultsMax: 4,
  wipesMax: 1,
  requestTimeoutMs: 300,
  clientTimeoutMs: 500,
  thinkMsMean: 15,
  hotKeyShare: 0.5,
  mix: defaultMix,
  bugs: {},
  convergeBy: 'all',
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
 * run's deletes are collected many times over while faults and late messages are about. The
 * window in which late copies of a removed tombstone are dropped is set per run (`simTombstonesOf`).
 */
const simTombstones = { roundIntervalMs: 50, scanIntervalMs: 10, roundTimeoutMs: 500, epochsQueryIntervalMs: 20, readFenceWaitMs: 20 } as const;
/**
 * In one seed of this many, gets carry a deadline `longGetDeadlineFactor` times the client's
 * timeout (the client gives up at its own; the coordinator keeps listening, and repairs at the
 * deadline): a read repair can then go out long after its reads, as a real get's may up to
 * `requestTimeoutMsMax` — what the removed-copies window must outlast (tombstones/settings.ts).
 */
const longGetSeedsEvery = 4;
const longGetDeadlineFactor = 4;

/** The deadline the run's gets carry (`longGetSeedsEvery`). */
export function getDeadlineMsOf(options: Pick<RunOptions, 'seed' | 'clientTimeoutMs'>): number {
  return options.seed % longGetSeedsEvery === 0 ? longGetDeadlineFactor * options.clientTimeoutMs : options.clientTimeoutMs;
}

/**
 * The run's tombstone settings: copies of a removed tombstone are dropped for the longest request
 * of the run, then a round's time — as the defaults do for `requestTimeoutMsMax` (settings.ts).
 */
function simTombstonesOf(options: RunOptions): Partial<TombstoneSettings> {
  const longestRequestMs = Math.max(getDeadlineMsOf(options), options.clientTimeoutMs, options.requestTimeoutMs);
  return { ...simTombstones, removedCopiesWindowMs: longestRequestMs + simTombstones.roundTimeoutMs };
}
/** Simulated time anti-entropy gets to converge after healing. */
const antiEntropyConvergeMsMax = 5_000;
const antiEntropyStepMs = 50;

/** Load lanes: cold keys written at once at the start. */
const preloadLanes = 8;
/** The load starts once new nodes have learned the ring and the epochs (~25 simulated ms). */
const preloadStartMs = 30;

/** Every bucket's properties, N capped at the cluster's size and R, W, pr, pw at N. */
export function bucketsOf(options: Pick<RunOptions, 'buckets' | 'nodesCount' | 'durability'>): Map<string, BucketProps> {
  const buckets = new Map<string, BucketProps>();
  for (const { name, ...props } of options.buckets) {
    const n = Math.min(props.n ?? defaultBucketProps.n, options.nodesCount);
    const r = Math.min(props.r ?? defaultBucketProps.r, n);
    const w = Math.min(props.w ?? defaultBucketProps.w, n);
    buckets.set(name, { ...defaultBucketProps, n, r, w, pr: Math.min(props.pr ?? 0, r), pw: Math.min(props.pw ?? 0, w), durability: options.durability });
  }
  return buckets;
}

/** The key space: `k1`… dealt to the buckets in turn. */
export function keySpace(options: Pick<RunOptions, 'buckets' | 'keysCount'>): KeyRef[] {
  return Array.from({ length: options.keysCount }, (_, i) => ({ bucket: options.buckets[i % options.buckets.length]!.name, key: `k${i + 1}` }));
}

/** The liveness phase's listing asks for pages of 1 to this many keys (by seed), so that it pages. */
const listingPageKeysMax = 9;

/** Time after healing for requests in flight to finish or time out before repair starts. */
const settleMs = 200;
/**
 * Rounds of R = N reads the `readRepair` mode's liveness phase gives read repair, 200 ms each (the
 * 5 s anti-entropy gets). One round repairs every key whose reads all answer, but a repair is
 * refused by a replica whose partition a tombstone round fenced after the reads (epochs.ts), and
 * the simulator runs a round every 50 ms per node: a key can need a few.
 */
const livenessRoundsMax = 25;
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
  /** The fault mix the seed drew (fault-mixes.ts). */
  readonly mix: FaultMixName;
  readonly faults: readonly Fault[];
  readonly history: History;
  readonly violations: readonly Violation[];
  readonly liveness: LivenessResult | undefined;
  /** The ring the cluster served at the end (membership faults change it). */
  readonly finalRing: Ring | undefined;
  /** The world as the run left it (for tests and debugging; undefined if building it threw). */
  readonly world: SimWorld | undefined;
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
  const keys = keySpace(options);
  const buckets = bucketsOf(options);
  const paths = repairPaths(options.convergeBy);
  const mix = pickFaultMix(faultPrng.fork('mix'), options.faultMix ?? (options.faultKinds ? 'uniform' : undefined));
  const faults = faultMixes[mix].schedule(faultPrng, {
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
        bucketProps: buckets.get(options.buckets[0]!.name)!,
        buckets,
        zonesCount: options.zonesCount,
        requestTimeoutMs: options.requestTimeoutMs,
        network: defaultNetworkConfig,
        disk: defaultDiskConfig,
        clientLatencyUsMin: 100,
        clientLatencyUsMax: 1_000,
        bugs: options.bugs,
        spareNodeNames,
        antiEntropy: paths.antiEntropy ? simAntiEntropy : { enabled: false },
        readRepair: paths.readRepair,
        hintedHandoff: paths.hintedHandoff,
        tombstones: simTombstonesOf(options),
      },
      worldPrng,
      oracle,
    );
    oracle.attach(world);
    liveness = simulate(world, options, faults, history, oracle, workloadPrng, keys, faultMixes[mix].workload.wEqualsNShare);
    const livenessMs = settleMs + liveness.elapsedMs;
    // Converged, a listing through a member has one right answer (checkers/listing.ts): one
    // bucket's, taken in turn by seed. (The handoff mode does not converge the replicas.)
    const convergence = options.convergeBy !== 'handoff';
    const members = [...world.ring.nodes.keys()];
    const listed = options.buckets[options.seed % options.buckets.length]!.name;
    const listedKeys = keys.filter((ref) => ref.bucket === listed).map((ref) => ref.key);
    const judged = { world, history, oracle, livenessMs, antiEntropy: paths.antiEntropy, convergence, faults };
    // The replicas as the phase left them: the listing runs the world on (checkers/index.ts `converged`).
    const converged = checkConverged(judged);
    const listing = convergence && liveness.converged ? listEveryKey(world, members[options.seed % members.length]!, listed, 1 + (options.seed % listingPageKeysMax)) : undefined;
    violations = runCheckers({ ...judged, converged, listing: { bucket: listed, keys: listedKeys, run: listing } });
  } catch (error) {
    violations = [{ checker: 'exception', message: error instanceof Error ? (error.stack ?? error.message) : String(error), entryIds: [] }];
  }
  return result(options, mix, faults, history, oracle, violations, liveness, world);
}

function simulate(world: SimWorld, options: RunOptions, faults: readonly Fault[], history: History, oracle: Oracle, prng: Prng, keys: KeyRef[], wEqualsNShare: number): LivenessResult {
  for (const fault of faults) scheduleFault(world, fault);
  const shared: WorkloadContext = { world, history, oracle, stopMs: options.safetyMs, nextLabel: 1 };
  const { hotKeysCount, hotKeyShare, thinkMsMean, clientTimeoutMs, mix } = options;
  const workload = { clientsCount: options.clientsCount, keys, hotKeysCount, hotKeyShare, thinkMsMean, clientTimeoutMs, getDeadlineMs: getDeadlineMsOf(options), mix, quorumOverrideShare: 0.2, wEqualsNShare };
  const cold = keys.slice(hotKeysCount);
  const loadPrng = prng.fork('load');
  world.queue.at(preloadStartMs * microsPerMs, () => startLoad(shared, workload, loadPrng, loadPrng.shuffled(cold).slice(0, options.preloadKeysCount), preloadLanes));
  for (let i = 1; i <= options.clientsCount; i++) new SimClient(`c${i}`, shared, workload, prng.fork(`client ${i}`)).start();
  world.runUntil(options.safetyMs);
  heal(world);
  // Everything in flight ends: the longest request, a get that outlived its client (`getDeadlineMsOf`).
  world.runUntil(options.safetyMs + Math.max(options.clientTimeoutMs, getDeadlineMsOf(options)) + settleMs);
  const membership = settleMembership(world);
  if (!membership.settled) throw new Error(`membership did not settle within ${membershipSettleMsMax} simulated ms`);
  // Only keys a client wrote or read can hold anything: the phase watches those.
  const touched = new Set(history.entries.map((entry) => `${entry.bucket}\u0000${entry.key}`));
  const watched = keys.filter(({ bucket, key }) => touched.has(`${bucket}\u0000${key}`));
  if (options.convergeBy === 'all' || options.convergeBy === 'antiEntropy') {
    return convergeByAntiEntropy(world, { keys: watched, convergeMsMax: antiEntropyConvergeMsMax, stepMs: antiEntropyStepMs });
  }
  if (options.convergeBy === 'handoff') return awaitHandoff(world, { convergeMsMax: antiEntropyConvergeMsMax, stepMs: antiEntropyStepMs });
  return convergeByReadRepair(world, history, {
    keys: watched,
    roundsMax: livenessRoundsMax,
    roundMs: livenessRoundMs,
    readTimeoutMs: options.requestTimeoutMs,
    straysWaitMsMax: antiEntropyConvergeMsMax,
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

function result(options: RunOptions, mix: FaultMixName, faults: readonly Fault[], history: History, oracle: Oracle, violations: Violation[], liveness: LivenessResult | undefined, world: SimWorld | undefined): RunResult {
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
  const report = ok ? '' : formatFailure({ seed: options.seed, replay: replayCommand(options), mix, faults, violations, history, world });
  return {
    seed: options.seed,
    options,
    mix,
    faults,
    history,
    violations,
    liveness,
    finalRing: world?.ring,
    world,
    stats,
    traceDigest: world?.traceDigest() ?? '',
    historyDigest: createHash('sha256').update(JSON.stringify(history.entries)).digest('hex'),
    ok,
    report,
  };
}

/**
 * The repair paths (issue 13 §2). `all` is the cluster as it runs: anti-entropy, read repair and
 * hinted handoff, and the liveness phase waits for them. Each other mode leaves one path alone,
 * so that convergence must come from it (docs/simulation.md, "Every repair path on its own"):
 * - `antiEntropy`: no read repair; no sloppy quorum, so no hints (a hint is only ever handed back
 *   by handoff); the phase waits for the exchanges.
 * - `readRepair`: no anti-entropy, no hints; the phase reads every key with R = N.
 * - `handoff`: no anti-entropy, no read repair; the phase waits for the hints to drain, and what
 *   handoff promises — every hint delivered to its owner (checkers/handoff.ts) — takes the place
 *   of convergence, which Dynamo gives to anti-entropy (§4.7).
 */
export const repairModes = ['all', 'antiEntropy', 'readRepair', 'handoff'] as const;
export type RepairMode = (typeof repairModes)[number];

/** The paths a mode runs. */
export function repairPaths(mode: RepairMode): { readonly antiEntropy: boolean; readonly readRepair: boolean; readonly hintedHandoff: boolean } {
  return { antiEntropy: mode === 'all' || mode === 'antiEntropy', readRepair: mode === 'all' || mode === 'readRepair', hintedHandoff: mode === 'all' || mode === 'handoff' };
}

/** CLI flags for the options the CLI can set (cli.ts). */
const cliFlags: readonly (readonly [keyof RunOptions, string])[] = [
  ['nodesCount', 'nodes'],
  ['partitionCount', 'partitions'],
  ['clientsCount', 'clients'],
  ['keysCount', 'keys'],
  ['hotKeysCount', 'hot-keys'],
  ['preloadKeysCount', 'preload'],
  ['zonesCount', 'zones'],
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
  if (options.faultMix) parts.push(`--mix ${options.faultMix}`);
  for (const [option, flag] of cliFlags) if (options[option] !== defaultRunOptions[option as keyof typeof defaultRunOptions]) parts.push(`--${flag} ${String(options[option])}`);
  const codeOnly = (['requestTimeoutMs', 'clientTimeoutMs', 'thinkMsMean', 'hotKeyShare', 'mix', 'buckets'] as const).filter(
    (option) => JSON.stringify(options[option]) !== JSON.stringify(defaultRunOptions[option]),
  );
  if (codeOnly.length > 0) parts.push(`(and in code: ${codeOnly.map((option) => `${option}=${JSON.stringify(options[option])}`).join(', ')})`);
  return parts.join(' ');
}
