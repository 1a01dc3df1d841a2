/**
 * Incremental claim: start from the previous owners and move only what must move — the
 * partitions of departed nodes, and each over-target member's surplus — to the members short
 * of their target. Every move here is one of those forced moves, so the number of partitions
 * moved is the minimum possible: (partitions of departed nodes) + sum over members of
 * max(0, previous count - target). What the algorithm chooses is WHERE: each move goes where it
 * repeats a node/zone least within the window (Dynamo §4.3: distinct nodes in a preference list).
 */
import { assert } from '../assert.ts';
import type { ClaimProblem } from './claim-problem.ts';
import { Placement, countOwned, lexicographicLess, nodePart, unowned } from './claim-problem.ts';

/** Above this many (free partition x candidate x window) checks per move, skip most-constrained-first. */
const constrainedFirstChecksMax = 1 << 14;

export function claimIncrementally(problem: ClaimProblem): Int32Array {
  const placement = new Placement(problem, Int32Array.from(problem.previous));
  const counts = countOwned(placement.owners, problem.names.length);
  fillUnowned(placement, counts);
  takeSurplus(placement, counts);
  assert(counts.every((c, m) => c === problem.targets[m]), 'incremental claim missed a target');
  return placement.owners;
}

/**
 * Unowned partitions must all be filled. Fill the most constrained first (fewest members that
 * fit without a repeat), as in graph colouring, so the easy ones do not use up the members the
 * hard ones need.
 */
function fillUnowned(placement: Placement, counts: Int32Array): void {
  const free = new Set<number>();
  placement.owners.forEach((m, p) => m === unowned && free.add(p));
  while (free.size > 0) {
    const candidates = membersBelowTarget(placement.problem, counts);
    assert(candidates.length > 0, 'unowned partitions left but every member is at target');
    const p = mostConstrained(placement, free, candidates);
    const m = cheapestMember(placement, p, candidates, counts);
    placement.set(p, m);
    counts[m]!++;
    free.delete(p);
  }
}

function mostConstrained(placement: Placement, free: Set<number>, candidates: number[]): number {
  const { problem } = placement;
  if (free.size * candidates.length * problem.window > constrainedFirstChecksMax) return Math.min(...free);
  let best = unowned;
  let bestFits = Infinity;
  for (const p of free) {
    let fits = 0;
    for (const m of candidates) if (spreadCost(problem, placement.costOf(p, m)) === 0) fits++;
    if (fits < bestFits || (fits === bestFits && p < best)) [best, bestFits] = [p, fits];
  }
  return best;
}

function cheapestMember(placement: Placement, p: number, candidates: number[], counts: Int32Array): number {
  let best = unowned;
  let bestCost = Infinity;
  let bestDeficit = -Infinity;
  for (const m of candidates) {
    const cost = placement.costOf(p, m);
    const deficit = placement.problem.targets[m]! - counts[m]!;
    if (cost < bestCost || (cost === bestCost && deficit > bestDeficit)) [best, bestCost, bestDeficit] = [m, cost, deficit];
  }
  return best;
}

/**
 * Members below target take partitions from members above it, the neediest first, one
 * partition at a time. Each takes where it adds the least cost; then where it wastes no room
 * for its zone's (or its own) later partitions (see roomLost); then farthest from them, so they
 * spread round the ring; then from the member with the largest surplus.
 */
function takeSurplus(placement: Placement, counts: Int32Array): void {
  const gaps = new Gaps(placement.problem.partitionCount);
  for (;;) {
    const taker = neediest(placement.problem, counts);
    if (taker === unowned) return;
    gaps.measure(placement, taker);
    const p = bestPartitionToTake(placement, counts, taker, gaps);
    counts[placement.owners[p]!]!--;
    placement.set(p, taker);
    counts[taker]!++;
  }
}

function bestPartitionToTake(placement: Placement, counts: Int32Array, taker: number, gaps: Gaps): number {
  const { problem, owners, costAt } = placement;
  let best = unowned;
  let bestKey = [Infinity];
  for (let p = 0; p < problem.partitionCount; p++) {
    const giver = owners[p]!;
    const surplus = counts[giver]! - problem.targets[giver]!;
    if (surplus <= 0) continue;
    const delta = placement.costOf(p, taker) - costAt[p]!;
    if (delta > bestKey[0]!) continue;
    const key = [delta, gaps.roomLost(p, problem.window), -gaps.spacing(p), -surplus];
    if (best === unowned || lexicographicLess(key, bestKey)) [best, bestKey] = [p, key];
  }
  assert(best !== unowned, 'a member is below target but none is above');
  return best;
}

/**
 * For one member (or zone): the distance from each partition to the nearest partition it holds
 * before and after (cyclic, never counting the partition itself; Q when it holds none).
 */
class Gaps {
  private readonly marked: Uint8Array;
  private readonly before: Int32Array;
  private readonly after: Int32Array;

  constructor(private readonly partitionCount: number) {
    this.marked = new Uint8Array(partitionCount);
    this.before = new Int32Array(partitionCount);
    this.after = new Int32Array(partitionCount);
  }

  /** Measures the taker's zone when zones can be spread, else the taker itself. */
  measure(placement: Placement, taker: number): void {
    const { problem, owners } = placement;
    const zone = problem.zoneOf[taker]!;
    for (let p = 0; p < this.partitionCount; p++) {
      const m = owners[p]!;
      this.marked[p] = m !== unowned && (problem.zoneSpreadMatters ? problem.zoneOf[m] === zone : m === taker) ? 1 : 0;
    }
    this.sweep();
  }

  spacing(p: number): number {
    return Math.min(this.before[p]!, this.after[p]!);
  }

  /**
   * How many fewer partitions the gap around p can still take (pairwise >= w apart) once p is
   * taken: a gap of g holds floor(g/w) - 1 more, and p splits it into two. 0 or 1; 0 if the
   * member holds nothing yet. Halving gaps (the obvious "farthest away" rule) wastes room: with
   * 143 partitions to place w = 5 apart on 1024, bisection stalls at 128 gaps of 8.
   */
  roomLost(p: number, window: number): number {
    const before = this.before[p]!;
    const after = this.after[p]!;
    if (before >= this.partitionCount) return 0;
    return Math.floor((before + after) / window) - Math.floor(before / window) - Math.floor(after / window);
  }

  private sweep(): void {
    const q = this.partitionCount;
    this.before.fill(q);
    this.after.fill(q);
    let last = -q;
    for (let i = 0; i < 2 * q; i++) {
      const p = i < q ? i : i - q;
      if (i >= q) this.before[p] = Math.min(q, i - last);
      if (this.marked[p]) last = i;
    }
    last = 3 * q;
    for (let i = 2 * q - 1; i >= 0; i--) {
      const p = i < q ? i : i - q;
      if (i < q) this.after[p] = Math.min(q, last - i);
      if (this.marked[p]) last = i;
    }
  }
}

/** The part of a cost that spread is about: zones and nodes when a window can hold w zones, else nodes. */
function spreadCost(problem: ClaimProblem, cost: number): number {
  return problem.zoneSpreadMatters ? cost : nodePart(problem, cost);
}

function neediest(problem: ClaimProblem, counts: Int32Array): number {
  let best = unowned;
  let bestDeficit = 0;
  counts.forEach((c, m) => {
    const deficit = problem.targets[m]! - c;
    if (deficit > bestDeficit) [best, bestDeficit] = [m, deficit];
  });
  return best;
}

function membersBelowTarget(problem: ClaimProblem, counts: Int32Array): number[] {
  const below: number[] = [];
  counts.forEach((c, m) => c < problem.targets[m]! && below.push(m));
  return below;
}
