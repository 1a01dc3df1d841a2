/**
 * Versions, supersession and the live siblings a causal history implies — the reference model's
 * definitions, which the checkers judge the cluster by (issue 13 §1).
 *
 * A version is one client write that a coordinator made into a sibling with a fresh dot. Its
 * causal history is the context the client sent with the write plus its own dot: the write
 * supersedes exactly what that context covers (DESIGN §4; Preguiça et al., a dotted version
 * vector is the pair (dot, history)).
 *
 * - `u` supersedes `v` when v's dot is in u's history and u is not v: the client that wrote u had
 *   seen v (or a version that had). Histories are sets of events seen, so this is transitive for
 *   histories that are closed (a context read from an object holds the whole history of every
 *   version it names).
 * - The live siblings of a causal context C, given the versions that exist: those whose dot C
 *   holds and that no version whose dot C holds supersedes. A correct replica stores exactly
 *   these with C, and a correct get returns exactly these with the context it answers.
 */
import { DotSet } from './dot-set.ts';
import { sameDot, type ModelDot } from './dots.ts';

export interface ModelVersion {
  readonly dot: ModelDot;
  /** The context the write was sent with, and the version's own dot. */
  readonly history: DotSet;
}

export function modelVersion(dot: ModelDot, sentContext: DotSet): ModelVersion {
  return { dot, history: sentContext.with(dot) };
}

export function supersedes(newer: ModelVersion, older: ModelDot): boolean {
  return !sameDot(newer.dot, older) && newer.history.has(older);
}

/** The versions `context` holds the dots of, that no other of them supersedes. */
export function liveSiblings(versions: Iterable<ModelVersion>, context: DotSet): ModelVersion[] {
  const seen = [...versions].filter((version) => context.has(version.dot));
  return seen.filter((version) => !seen.some((other) => supersedes(other, version.dot)));
}

/** How an object's siblings differ from the live siblings of its context. */
export interface SiblingVerdict {
  /** Siblings some version the context holds supersedes: they should have been dropped. */
  readonly superseded: readonly { readonly sibling: ModelDot; readonly by: ModelDot }[];
  /**
   * Dots the context holds whose version is neither a sibling nor superseded by one: dropped
   * without a write that had seen it (a hidden loss), and every merge with this object drops it.
   */
  readonly hidden: readonly ModelDot[];
}

/**
 * Judges an object (its sibling dots, its context) against the live siblings of its context.
 * `versionOf` knows the versions made for the key; a dot it does not know (a value nobody wrote:
 * the phantom checker's business) is neither judged nor used to judge.
 */
export function judgeSiblings(siblings: readonly ModelDot[], context: DotSet, versionOf: (dot: ModelDot) => ModelVersion | undefined): SiblingVerdict {
  const known = siblings.map(versionOf);
  // What the siblings' writers had seen: the histories of the siblings, closed under the
  // histories of every version in them (one round when every history is itself closed).
  let explained = DotSet.empty;
  for (const version of known) if (version !== undefined) explained = explained.union(version.history);
  const hidden = context.includes(explained) && explained.includes(context) ? [] : unexplained(context, explained, versionOf);
  const superseded: { sibling: ModelDot; by: ModelDot }[] = [];
  if (siblings.length > 0) {
    for (const dot of context.dots()) {
      const version = versionOf(dot);
      if (version === undefined) continue;
      for (const sibling of siblings) if (supersedes(version, sibling)) superseded.push({ sibling, by: dot });
    }
  }
  return { superseded, hidden };
}

function unexplained(context: DotSet, start: DotSet, versionOf: (dot: ModelDot) => ModelVersion | undefined): ModelDot[] {
  let explained = start;
  let frontier = start.dots();
  while (frontier.length > 0) {
    let grown = explained;
    for (const dot of frontier) {
      const version = versionOf(dot);
      if (version !== undefined) grown = grown.union(version.history);
    }
    frontier = grown.minus(explained);
    explained = grown;
  }
  return context.minus(explained).filter((dot) => versionOf(dot) !== undefined);
}
