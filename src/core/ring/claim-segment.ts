/**
 * Repair by rearranging a short arc of the ring: take the owners of L consecutive partitions
 * around a bad one and search, depth first, for an order of that same multiset in which every
 * partition of the arc repeats nothing within its window (the partitions outside stay put), with
 * the fewest partitions off their previous owner. Counts are kept, so balance holds. This finds
 * fixes that no single swap or chain can, in the cramped rings where few members fit anywhere
 * (S close to N); a budget of fit checks bounds the search.
 */
import type { Placement } from './claim-problem.ts';
import { unowned } from './claim-problem.ts';

export interface SegmentGoal {
  /** The part of a placement cost that must be zero for a member to fit at a partition. */
  readonly costOf: (cost: number) => number;
}

/** Arc lengths tried, as multiples of the window (plus one): longer arcs have more freedom. */
const arcWindowMultiples = [2, 3, 4] as const;
/** Fit checks one arc's search may make (each is one placementCost call). */
const fitChecksPerArcMax = 8_000;

/** Tries to rearrange an arc around partition i; returns whether it did (the ring got better). */
export function repairBySegment(placement: Placement, i: number, goal: SegmentGoal, budget: { left: number }): boolean {
  const { partitionCount: q, window } = placement.problem;
  for (const multiple of arcWindowMultiples) {
    const length = Math.min(q, multiple * window + 1);
    const start = (i - Math.floor(length / 2) + q) % q;
    const arc = Array.from({ length }, (_, k) => (start + k) % q);
    if (rearrangeArc(placement, arc, goal, budget)) return true;
    if (budget.left <= 0 || length === q) return false;
  }
  return false;
}

function rearrangeArc(placement: Placement, arc: readonly number[], goal: SegmentGoal, budget: { left: number }): boolean {
  const { problem, owners } = placement;
  const original = arc.map((p) => owners[p]!);
  const members = [...new Set(original)].sort((a, b) => a - b);
  const left = new Map<number, number>(members.map((m) => [m, 0]));
  for (const m of original) left.set(m, left.get(m)! + 1);
  for (const p of arc) owners[p] = unowned;
  const search = { checks: 0, bestMoves: Infinity, best: undefined as number[] | undefined };
  const chosen: number[] = [];
  const tryMember = (k: number, m: number, moves: number): void => {
    const p = arc[k]!;
    if (left.get(m)! === 0) return;
    search.checks++;
    if (goal.costOf(placement.costOf(p, m)) !== 0) return;
    left.set(m, left.get(m)! - 1);
    owners[p] = m;
    chosen.push(m);
    visit(k + 1, moves + (m !== problem.previous[p] ? 1 : 0));
    chosen.pop();
    owners[p] = unowned;
    left.set(m, left.get(m)! + 1);
  };
  // Depth first, trying the previous owner first (keeps it in place), then the current one,
  // then the rest by index; branches that cannot beat the best order found are cut.
  const visit = (k: number, moves: number): void => {
    if (moves >= search.bestMoves || search.checks >= fitChecksPerArcMax) return;
    if (k === arc.length) {
      [search.bestMoves, search.best] = [moves, [...chosen]];
      return;
    }
    const previous = problem.previous[arc[k]!]!;
    const current = original[k]!;
    if (left.has(previous)) tryMember(k, previous, moves);
    if (current !== previous) tryMember(k, current, moves);
    for (const m of members) if (m !== previous && m !== current) tryMember(k, m, moves);
  };
  visit(0, 0);
  budget.left -= search.checks;
  const result = search.best ?? original;
  arc.forEach((p, k) => (owners[p] = result[k]!));
  if (search.best === undefined) return false;
  arc.forEach((p, k) => placement.set(p, result[k]!));
  return true;
}
