/**
 * Live siblings (DESIGN §2.3, §2.4): every object a replica stores and every object a get
 * returns holds exactly the live siblings of its causal context, by the reference model
 * (model/versions.ts) — the versions whose dots the context holds that no version whose dot it
 * holds supersedes. Two ways to miss, reported by two checkers:
 *
 * - `siblings` — a sibling that a version the context holds supersedes is still there: syntactic
 *   reconciliation (Dynamo §4.4) failed, or a merge brought an old version back. It sees a
 *   superseding version the object no longer holds as a sibling too (a get that returned a
 *   version its own answer's context had already superseded). Excused: a sibling of an actor
 *   whose clock entry a node pruned from the key's context (Dynamo §4.4; oracle.ts
 *   `recordPruning`) — a context that no longer names the actor cannot recognise its old version
 *   when a stale copy brings it back, and keeps it as concurrent, as Dynamo's would (seed 65 of
 *   the default run: a stray copy of an old tombstone handed off 1 s late, after a fence refused it).
 * - `dropped` — the context holds a version that is neither a sibling nor superseded by one: a
 *   merge dropped a sibling but kept its dot, so the write is gone though no one overwrote it,
 *   and every replica that merges this object drops it too. (Pruning could make such a context
 *   legitimately; the simulated clusters stay far below the pruning bounds.)
 *
 * The oracle judges every object the moment it reaches a disk (oracle.ts, `onDiskWrite`); this
 * judges every get's answer and every replica at the end.
 */
import { DotSet, formatDot, judgeSiblings, type ModelDot, type ModelVersion } from '../model/index.ts';
import type { CausalContext } from '../../core/version/types.ts';
import type { History } from '../history.ts';
import type { SimWorld } from '../world.ts';
import { replicaStates } from './replicas.ts';
import type { VersionIndex } from './versions.ts';
import type { Violation } from './violation.ts';

export function checkLiveSiblings(world: SimWorld, history: History, index: VersionIndex, pruned: (bucket: string, key: string) => ReadonlySet<string>): Violation[] {
  const violations: Violation[] = [];
  for (const entry of history.entries) {
    if (!entry.got) continue;
    const { bucket, key } = entry;
    const dots = entry.got.siblings.map((sibling) => sibling.dot);
    for (const problem of siblingProblems(index.modelVersionOf(bucket, key), dots, entry.got.context, () => pruned(bucket, key))) {
      const ids = problem.dots.map((dot) => index.byDot(bucket, key, dot)?.entry.id).filter((id) => id !== undefined);
      violations.push({ checker: problem.checker, message: `get #${entry.id} returned ${problem.message(describe(index, bucket, key))}`, key, entryIds: [entry.id, ...ids] });
    }
  }
  const keys = new Set(history.entries.map((entry) => `${entry.bucket}\u0000${entry.key}`));
  for (const id of keys) {
    const [bucket, key] = id.split('\u0000') as [string, string];
    for (const { node, object } of replicaStates(world, bucket, key)) {
      if (object === null) continue;
      const dots = object.siblings.map((sibling) => sibling.dot);
      for (const problem of siblingProblems(index.modelVersionOf(bucket, key), dots, object.context, () => pruned(bucket, key))) {
        const ids = problem.dots.map((dot) => index.byDot(bucket, key, dot)?.entry.id).filter((entryId) => entryId !== undefined);
        violations.push({ checker: problem.checker, message: `at the end ${node} holds ${problem.message(describe(index, bucket, key))}`, key, entryIds: ids });
      }
    }
  }
  return violations;
}

export interface SiblingProblem {
  readonly checker: 'siblings' | 'dropped';
  /** The dots concerned, for the report's history lines. */
  readonly dots: readonly ModelDot[];
  /** What is wrong, given a way to name a dot (its write's label). */
  message(name: (dot: ModelDot) => string): string;
}

/**
 * What is wrong with an object of siblings `dots` and context `context`, by the model; a
 * superseded sibling of a `pruned` actor is excused (above).
 */
export function siblingProblems(versionOf: (dot: ModelDot) => ModelVersion | undefined, dots: readonly ModelDot[], context: CausalContext, pruned: () => ReadonlySet<string>): SiblingProblem[] {
  const verdict = judgeSiblings(dots, DotSet.fromEncoded(context), versionOf);
  const problems: SiblingProblem[] = [];
  const excused = verdict.superseded.length > 0 ? pruned() : new Set<string>();
  for (const { sibling, by } of verdict.superseded.filter(({ sibling }) => !excused.has(sibling[0])).slice(0, 3)) {
    problems.push({
      checker: 'siblings',
      dots: [sibling, by],
      message: (name) => `${name(sibling)} as a sibling beside a context holding ${name(by)}, which was written with a context that had seen it: ${name(sibling)} should have been dropped`,
    });
  }
  if (verdict.hidden.length > 0) {
    const lost = verdict.hidden;
    problems.push({
      checker: 'dropped',
      dots: lost,
      message: (name) =>
        `a context covering ${lost.slice(0, 3).map(name).join(', ')}${lost.length > 3 ? ` and ${lost.length - 3} more` : ''}, which it neither holds nor supersedes: dropped without a write that had seen it`,
    });
  }
  return problems;
}

function describe(index: VersionIndex, bucket: string, key: string): (dot: ModelDot) => string {
  return (dot) => {
    const info = index.byDot(bucket, key, dot);
    return info ? `${info.version.label} ${formatDot(dot)} (#${info.entry.id}, ${info.entry.outcome})` : formatDot(dot);
  };
}
