/** Every checker of a run, in the order their findings are reported. */
import type { History } from '../history.ts';
import type { Oracle } from '../oracle.ts';
import type { SimWorld } from '../world.ts';
import { checkConvergence } from './convergence.ts';
import { checkDropped } from './dropped.ts';
import { checkDurability } from './durability.ts';
import { checkHintsDrained } from './hints-drained.ts';
import { checkListing, type ListingRun } from './listing.ts';
import { checkPhantoms } from './phantoms.ts';
import { checkWriteQuorum } from './quorum.ts';
import { checkResurrection } from './resurrection.ts';
import { checkSiblings } from './siblings.ts';
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
  /** A listing made once the cluster converged, and the keys the run used (checkers/listing.ts). */
  readonly listing?: { readonly bucket: string; readonly keys: readonly string[]; readonly run: ListingRun | undefined } | undefined;
}

export function runCheckers({ world, history, oracle, livenessMs, antiEntropy, listing }: CheckInput): Violation[] {
  const index = new VersionIndex(history, oracle);
  return [
    ...oracle.violations,
    ...checkPhantoms(history, index),
    ...checkWriteQuorum(history, oracle, world.config.bucketProps.durability),
    ...checkSiblings(world, history, index),
    ...checkDropped(world, history, index),
    ...checkDurability(world, history, oracle, index),
    ...checkResurrection(world, history, oracle, index),
    ...checkConvergence(world, history, livenessMs),
    ...(antiEntropy ? checkTreeRoots(world) : []),
    ...checkHintsDrained(world),
    ...checkStraysSwept(world),
    ...(listing === undefined ? [] : checkListing(world, listing.bucket, listing.keys, listing.run)),
  ];
}
