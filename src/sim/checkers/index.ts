/** Every checker of a run, in the order their findings are reported. */
import type { History } from '../history.ts';
import type { Oracle } from '../oracle.ts';
import type { SimWorld } from '../world.ts';
import { checkConvergence } from './convergence.ts';
import { checkDurability } from './durability.ts';
import { checkAvailability } from './availability.ts';
import { checkQuorumReads } from './quorum-reads.ts';
import type { Fault } from '../faults.ts';
import { checkHandoff } from './handoff.ts';
import { checkHintsDrained } from './hints-drained.ts';
import { checkListing, type ListingRun } from './listing.ts';
import { checkPhantoms } from './phantoms.ts';
import { checkWriteQuorum } from './quorum.ts';
import { checkResurrection } from './resurrection.ts';
import { checkLiveSiblings } from './live-siblings.ts';
import { checkStraysSwept } from './strays.ts';
import { checkTreeRoots } from './tree-roots.ts';
import { VersionIndex } from './versions.ts';
import type { Violation } from './violation.ts';

export type { Violation } from './violation.ts';

export interface CheckInput {
  readonly world: SimWorld;
  readonly history: History;
  readonly oracle: Oracle;
  /** How long the liveness phase ran, for the convergence message. */
  readonly livenessMs: number;
  /** Anti-entropy ran (the default): its trees must agree and match the disks. */
  readonly antiEntropy: boolean;
  /** The replicas must have converged (every mode but `handoff`, whose promise is checkHandoff's). */
  readonly convergence?: boolean | undefined;
  /** The run's fault schedule: availability is judged only where no fault could excuse a refusal. */
  readonly faults?: readonly Fault[] | undefined;
  /** A listing made once the cluster converged, and the keys the run used (checkers/listing.ts). */
  readonly listing?: { readonly bucket: string; readonly keys: readonly string[]; readonly run: ListingRun | undefined } | undefined;
  /**
   * What `checkConverged` found when the liveness phase ended, if the world ran on since (the
   * listing): judged now, a tombstone round begun meanwhile may be half done, its removal made on
   * some replicas and still on its way to the others (seed 71 of --converge-by antiEntropy).
   */
  readonly converged?: readonly Violation[] | undefined;
}

/** The replicas agree (every mode but `handoff`) and, with anti-entropy, so do their trees. */
export function checkConverged({ world, history, livenessMs, antiEntropy, convergence = true }: CheckInput): Violation[] {
  return [...(convergence ? checkConvergence(world, history, livenessMs) : []), ...(antiEntropy ? checkTreeRoots(world) : [])];
}

export function runCheckers(input: CheckInput): Violation[] {
  const { world, history, oracle, faults = [], listing } = input;
  const index = new VersionIndex(history, oracle);
  return [
    ...oracle.violations,
    ...checkPhantoms(history, index),
    ...checkWriteQuorum(history, oracle, (bucket) => world.bucketProps(bucket).durability),
    ...checkLiveSiblings(world, history, index, (bucket, key) => oracle.prunedActorsOfKey(bucket, key)),
    ...checkDurability(world, history, oracle, index),
    ...checkResurrection(world, history, oracle, index),
    ...(input.converged ?? checkConverged(input)),
    ...checkHintsDrained(world),
    ...checkHandoff(world, oracle),
    ...(oracle.hintDelivery?.violations ?? []),
    ...(oracle.placement?.violations ?? []),
    ...(oracle.readRepair?.check() ?? []),
    ...(oracle.placement ? checkAvailability(history, oracle.placement, faults) : []),
    ...(oracle.placement ? checkQuorumReads(history, index, oracle, oracle.placement, faults) : []),
    ...checkStraysSwept(world),
    ...(listing === undefined ? [] : checkListing(world, listing.bucket, listing.keys, listing.run)),
  ];
}
