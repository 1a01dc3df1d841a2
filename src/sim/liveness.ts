/**
 * The liveness phase's drivers, one per repair mode (run.ts `repairModes`, docs/simulation.md).
 * By default the cluster converges on its own: the phase only lets simulated time pass until
 * anti-entropy's exchanges (Dynamo §4.7) have made every replica of every partition hold equal
 * hash-tree roots and every key the run touched agree on its replicas, or the time budget runs
 * out; the checkers then judge what it reached. With read repair alone, `convergeByReadRepair`
 * reads every key with R = N so that read repair (Dynamo §5) writes the reconciled version to
 * every replica that was behind; with hinted handoff alone, `awaitHandoff` waits for the hints.
 */
import type { History } from './history.ts';
import { heldHints } from './checkers/hints-drained.ts';
import { strayCopies } from './checkers/strays.ts';
import { replicaStates, replicasAgree } from './checkers/replicas.ts';
import { treeRootsAgree } from './checkers/tree-roots.ts';
import { gotObject, recordOutcome } from './workload.ts';
import type { KeyRef } from './workload.ts';
import type { SimWorld } from './world.ts';

export interface LivenessOptions {
  readonly keys: readonly KeyRef[];
  /** Rounds of read repair before convergence is declared failed. */
  readonly roundsMax: number;
  /** Simulated time one round is given: its reads and their repairs. */
  readonly roundMs: number;
  /** How long the phase then waits for the stray sweep, at most. */
  readonly straysWaitMsMax: number;
  readonly readTimeoutMs: number;
}

export interface LivenessResult {
  readonly converged: boolean;
  readonly rounds: number;
  /** Simulated time from the first read to convergence (or to giving up). */
  readonly elapsedMs: number;
}

export interface AntiEntropyLivenessOptions {
  readonly keys: readonly KeyRef[];
  /** Simulated time anti-entropy gets to converge before convergence is declared failed. */
  readonly convergeMsMax: number;
  /** How often the phase looks whether the replicas agree. */
  readonly stepMs: number;
}

/**
 * Lets time pass (no reads) until hints are delivered, no node holds data it does not replicate,
 * and tree roots and every key's replicas agree; `rounds` counts steps.
 */
export function convergeByAntiEntropy(world: SimWorld, options: AntiEntropyLivenessOptions): LivenessResult {
  const startMs = world.nowMs;
  const agree = (): boolean => heldHints(world).length === 0 && strayCopies(world).length === 0 && treeRootsAgree(world) && options.keys.every(({ bucket, key }) => replicasAgree(replicaStates(world, bucket, key)));
  let steps = 0;
  while (!agree()) {
    if (world.nowMs - startMs >= options.convergeMsMax) return { converged: false, rounds: steps, elapsedMs: world.nowMs - startMs };
    world.runUntil(world.nowMs + options.stepMs);
    steps++;
  }
  return { converged: true, rounds: steps, elapsedMs: world.nowMs - startMs };
}

/**
 * Reads every key whose replicas differ with R = N, through its first replica, and lets the round
 * run; again, for at most `roundsMax` rounds, until every key agrees and no node holds a copy it
 * does not replicate (the stray sweep, which is membership's, not a repair path, may need longer
 * than a round: the phase then waits for it alone).
 */
export function convergeByReadRepair(world: SimWorld, history: History, options: LivenessOptions): LivenessResult {
  const startMs = world.nowMs;
  const disagreeing = (): KeyRef[] => options.keys.filter(({ bucket, key }) => !replicasAgree(replicaStates(world, bucket, key)));
  let rounds = 0;
  for (let pending = disagreeing(); pending.length > 0 && rounds < options.roundsMax; pending = disagreeing()) {
    rounds++;
    for (const key of pending) readAll(world, history, options, key);
    world.runUntil(world.nowMs + options.roundMs);
  }
  while (strayCopies(world).length > 0 && world.nowMs - startMs < options.straysWaitMsMax) world.runUntil(world.nowMs + options.roundMs);
  return { converged: disagreeing().length === 0 && strayCopies(world).length === 0, rounds, elapsedMs: world.nowMs - startMs };
}

/**
 * The `handoff` mode: lets time pass until every hint is delivered and no node holds a copy it
 * does not replicate. Replicas need not agree: what handoff promises is checkHandoff's.
 */
export function awaitHandoff(world: SimWorld, options: { readonly convergeMsMax: number; readonly stepMs: number }): LivenessResult {
  const startMs = world.nowMs;
  let steps = 0;
  while (heldHints(world).length > 0 || strayCopies(world).length > 0) {
    if (world.nowMs - startMs >= options.convergeMsMax) return { converged: false, rounds: steps, elapsedMs: world.nowMs - startMs };
    world.runUntil(world.nowMs + options.stepMs);
    steps++;
  }
  return { converged: true, rounds: steps, elapsedMs: world.nowMs - startMs };
}

function readAll(world: SimWorld, history: History, options: LivenessOptions, { bucket, key }: KeyRef): void {
  const { n } = world.bucketProps(bucket);
  const node = replicaStates(world, bucket, key)[0]!.node;
  const request = { kind: 'get' as const, bucket, key, r: n, timeoutMs: options.readTimeoutMs };
  const entry = history.invoke({ client: 'repair', node, kind: 'get', bucket, key, quorum: n, invokedMs: world.nowMs }, request);
  world.request(node, request, (outcome) => {
    recordOutcome(history, entry, world.nowMs, outcome);
    if (outcome.type === 'result' && outcome.result.kind === 'got') entry.got = outcome.result.object ? gotObject(outcome.result.object) : null;
  });
}
