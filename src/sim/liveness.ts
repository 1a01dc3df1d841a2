/**
 * The liveness phase's convergence driver. After the faults end and the network heals, nothing
 * in the core yet brings a stale replica up to date on its own: there is no anti-entropy and no
 * hinted handoff until issue 4. Read repair (Dynamo §5) is the one mechanism there is, so this
 * phase drives it: it reads every key the run touched with R = N, whose read repair writes the
 * reconciled version to every replica that was behind, and repeats until the replicas agree or
 * the round budget runs out. Issue 4 replaces this phase with its own mechanisms (hints drain,
 * hash trees agree) and keeps the same convergence checker.
 */
import type { History } from './history.ts';
import { replicaStates, replicasAgree } from './checkers/replicas.ts';
import { gotObject, recordOutcome } from './workload.ts';
import type { SimWorld } from './world.ts';

export interface LivenessOptions {
  readonly bucket: string;
  readonly keys: readonly string[];
  /** Rounds of read repair before convergence is declared failed. */
  readonly roundsMax: number;
  /** Simulated time one round is given: its reads and their repairs. */
  readonly roundMs: number;
  readonly readTimeoutMs: number;
}

export interface LivenessResult {
  readonly converged: boolean;
  readonly rounds: number;
  /** Simulated time from the first read to convergence (or to giving up). */
  readonly elapsedMs: number;
}

export function convergeByReadRepair(world: SimWorld, history: History, options: LivenessOptions): LivenessResult {
  const startMs = world.nowMs;
  for (let round = 1; round <= options.roundsMax; round++) {
    const pending = options.keys.filter((key) => !replicasAgree(replicaStates(world, options.bucket, key)));
    if (pending.length === 0) return { converged: true, rounds: round - 1, elapsedMs: world.nowMs - startMs };
    for (const key of pending) readAll(world, history, options, key);
    world.runUntil(world.nowMs + options.roundMs);
  }
  const converged = options.keys.every((key) => replicasAgree(replicaStates(world, options.bucket, key)));
  return { converged, rounds: options.roundsMax, elapsedMs: world.nowMs - startMs };
}

function readAll(world: SimWorld, history: History, options: LivenessOptions, key: string): void {
  const n = world.config.bucketProps.n;
  const node = replicaStates(world, options.bucket, key)[0]!.node;
  const entry = history.invoke({ client: 'repair', node, kind: 'get', bucket: options.bucket, key, quorum: n, invokedMs: world.nowMs });
  world.request(node, { kind: 'get', bucket: options.bucket, key, r: n, timeoutMs: options.readTimeoutMs }, (outcome) => {
    recordOutcome(history, entry, world.nowMs, outcome);
    if (outcome.type === 'result' && outcome.result.kind === 'got') entry.got = outcome.result.object ? gotObject(outcome.result.object) : null;
  });
}
