/**
 * Bounding causal contexts (Dynamo §4.4: "when the number of (node, counter) pairs in the
 * vector clock reaches a threshold, the oldest pair is removed from the clock").
 *
 * Forgetting dots is always on the safe side of causality: a context that covers less
 * supersedes less, so no write is dropped because of pruning. The cost is the other way: a
 * version the pruned context had superseded is no longer recognised as old, and if a stale
 * replica sends it again it comes back as a (false) sibling. That is why callers count what
 * was pruned and expose it as a metric.
 *
 * Two things are never pruned, because forgetting them would break an invariant rather than
 * merely cost a false sibling: the actors named in `keepActors` (callers pass the actors of
 * the object's siblings, whose dots the context must cover, and the coordinating actor, whose
 * counter must never go back — a reused dot would name two different writes).
 */
import { limits } from '../limits.ts';
import { compareActors, compareDots } from './actor.ts';
import type { Actor, CausalContext, ClockEntry, Dot, StoredObject } from './types.ts';

/**
 * Clock entries a client's context token may carry: twice the stored bound, because a get
 * joins the contexts of R replicas that each pruned on their own.
 */
export const tokenClockEntriesMax = 2 * limits.clockEntriesMax;

export interface PruneResult {
  readonly context: CausalContext;
  /** Clock entries plus cloud dots dropped. */
  readonly prunedEntries: number;
}

/**
 * Drops the clock entries with the oldest `lastWriteMs` (ties: by actor) until at most
 * `clockEntriesMax` remain, with their cloud dots; then drops cloud dots until at most
 * `dotsMax` remain. Never drops the clock entries of the actors `keepActorsOf()` names nor the
 * dots `keepDot` keeps (by default, those of these actors), so the result may stay above the
 * bounds when they alone exceed them.
 */
export function pruneContext(
  ctx: CausalContext,
  keepActorsOf: () => ReadonlySet<Actor>,
  clockEntriesMax: number,
  dotsMax: number,
  keepDot?: (dot: Dot) => boolean,
): PruneResult {
  // Most contexts are within their bounds: then nothing is worked out (every put prunes twice).
  if (ctx.clock.length <= clockEntriesMax && ctx.dots.length <= dotsMax) return { context: ctx, prunedEntries: 0 };
  const keepActors = keepActorsOf();
  const victims = oldestEntries(ctx.clock, keepActors, ctx.clock.length - clockEntriesMax);
  const clock = ctx.clock.filter((entry) => !victims.has(entry[0]));
  const survivingDots = ctx.dots.filter((dot) => !victims.has(dot[0]));
  const dots = dropDots(survivingDots, keepDot ?? ((dot) => keepActors.has(dot[0])), survivingDots.length - dotsMax);
  const prunedEntries = ctx.clock.length - clock.length + (ctx.dots.length - dots.length);
  return { context: { clock, dots }, prunedEntries };
}

/**
 * The context a client is handed with a get's answer, bounded as tokens are (`tokenClockEntriesMax`
 * entries, `contextDotsMax` dots) so that the put it comes back with is never refused as
 * `bad_context`. A get joins the contexts of R replicas, and each replica's context is already at
 * most the stored bounds, so the join can hold up to R times as many dots as a token may.
 *
 * It must still cover every sibling's dot — that is what lets a put with it supersede what the get
 * returned (DESIGN §4) — so sibling actors keep their clock entries and sibling dots stay in the
 * cloud; any other dot may go (forgetting is safe, see above). A put refuses to make more than
 * `siblingsCountMax` siblings, below both bounds, so the result fits; only a merge of replicas that
 * each hold that many different siblings can exceed it, and then the token is refused on the next
 * put as it would be anyway for too many siblings.
 */
export function pruneForClient(object: StoredObject): PruneResult {
  const siblingActors = () => new Set(object.siblings.map((sibling) => sibling.dot[0]));
  const isSiblingDot = (dot: Dot) => object.siblings.some((kept) => compareDots(kept.dot, dot) === 0);
  return pruneContext(object.context, siblingActors, tokenClockEntriesMax, limits.contextDotsMax, isSiblingDot);
}

/** The actors of the `count` idlest entries that may be dropped. */
function oldestEntries(clock: readonly ClockEntry[], keepActors: ReadonlySet<Actor>, count: number): Set<Actor> {
  if (count <= 0) return new Set();
  const candidates = clock.filter((entry) => !keepActors.has(entry[0]));
  candidates.sort((x, y) => x[2] - y[2] || compareActors(x[0], y[0]));
  return new Set(candidates.slice(0, count).map((entry) => entry[0]));
}

/**
 * Drops `count` cloud dots not kept, first in (actor, counter) order. Which ones go does not
 * matter for safety (see the file comment); the order only has to be deterministic.
 */
function dropDots(dots: readonly Dot[], keepDot: (dot: Dot) => boolean, count: number): readonly Dot[] {
  if (count <= 0) return dots;
  let left = count;
  return dots.filter((dot) => {
    if (left === 0 || keepDot(dot)) return true;
    left--;
    return false;
  });
}
