/**
 * Rings built from scratch: for a new cluster, and as the fallback when incremental moves
 * cannot restore spread (a full rebalance, as riak_core's claim falls back to a round-robin
 * "rebalance" when its incremental claim leaves windows short of N distinct nodes).
 */
import { assert, assertFailed } from '../assert.ts';
import type { ClaimProblem } from './claim-problem.ts';
import { placementCost, unowned } from './claim-problem.ts';

/**
 * A cyclic sequence of Q colours, colour c appearing counts[c] times, in which any two equal
 * colours are at least w apart both ways round — whenever every count is <= rows = floor(Q/w).
 *
 * Construction: cut the ring into `rows` blocks of consecutive partitions, each of floor(Q/rows)
 * or one more (>= w) partitions, longer blocks first. Column c is the c-th partition of every
 * block. Write the colours, each colour's copies in one run, into the columns in column-major
 * order, colours with exactly `rows` copies first (each fills a whole column). Why it works:
 * - a colour appears at most once per block, and blocks are >= w long;
 * - a run that starts in column j (at block t) and ends in column j+1 (at block u-1) has fewer
 *   than `rows` copies, so u <= t - 1: its copies in column j+1 sit at least two blocks before
 *   its copies in column j, i.e. at least 2w - 1 >= w partitions apart;
 * - the one short last column only holds positions of the longer blocks, so the same holds there.
 * `order` lists the colours in the order to write them (after the full ones); grouping colours of
 * one zone together keeps the zone in as few columns as possible, which helps zone spread.
 */
export function columnLayout(counts: readonly number[], order: readonly number[], partitionCount: number, window: number): Int32Array {
  const rows = Math.floor(partitionCount / window);
  assert(counts.reduce((sum, c) => sum + c, 0) === partitionCount, 'colour counts must sum to Q');
  if (!counts.every((c) => c <= rows)) assertFailed(`a colour count exceeds floor(Q/w) = ${rows}`);
  const full = order.filter((c) => counts[c] === rows);
  const rest = order.filter((c) => counts[c] !== rows);
  const colours = [...full, ...rest].flatMap((c) => Array<number>(counts[c]!).fill(c));
  const layout = new Int32Array(partitionCount);
  columnMajorPositions(partitionCount, rows).forEach((p, i) => (layout[p] = colours[i]!));
  return layout;
}

function columnMajorPositions(partitionCount: number, rows: number): number[] {
  const blockLength = Math.floor(partitionCount / rows);
  const longBlocks = partitionCount % rows;
  const blockStart = (r: number): number => r * blockLength + Math.min(r, longBlocks);
  const positions: number[] = [];
  for (let column = 0; column <= blockLength; column++) {
    const height = column < blockLength ? rows : longBlocks;
    for (let r = 0; r < height; r++) positions.push(blockStart(r) + column);
  }
  return positions;
}

/**
 * A fresh ring with node spread (and zone spread when feasible): lay out zones (or members) with
 * columnLayout, rotated to keep as many partitions as possible where they were, then give each
 * zone's partitions to its members (previous owners first).
 */
export function spreadLayout(problem: ClaimProblem): Int32Array {
  assert(problem.nodeSpreadFeasible, 'spreadLayout needs a feasible node spread');
  const byZone = problem.zoneSpreadFeasible;
  const colourOf = byZone ? problem.zoneOf : Int32Array.from(problem.names, (_, m) => m);
  const colourCount = byZone ? problem.zoneCount : problem.names.length;
  const counts = Array<number>(colourCount).fill(0);
  problem.targets.forEach((t, m) => (counts[colourOf[m]!]! += t));
  const order = byZone ? [...counts.keys()] : membersGroupedByZone(problem);
  const layout = columnLayout(counts, order, problem.partitionCount, problem.window);
  const colours = rotateTowardPrevious(problem, colourOf, layout);
  return assignMembersWithinColours(problem, colourOf, colourCount, colours);
}

/**
 * Members of one zone next to each other, larger zones first: a zone then fills whole columns
 * where it can, so its partitions are w apart like a single member's (see columnLayout).
 */
function membersGroupedByZone(problem: ClaimProblem): number[] {
  const zoneTotal = Array<number>(problem.zoneCount).fill(0);
  problem.targets.forEach((t, m) => (zoneTotal[problem.zoneOf[m]!]! += t));
  const zoneOf = (m: number): number => problem.zoneOf[m]!;
  return [...problem.names.keys()].sort((a, b) => zoneTotal[zoneOf(b)]! - zoneTotal[zoneOf(a)]! || zoneOf(a) - zoneOf(b) || a - b);
}

/** Any rotation of a spread layout is spread too; pick the one that moves least (O(Q^2), rare). */
function rotateTowardPrevious(problem: ClaimProblem, colourOf: Int32Array, layout: Int32Array): Int32Array {
  const q = problem.partitionCount;
  const previousColour = Int32Array.from(problem.previous, (m) => (m === unowned ? -1 : colourOf[m]!));
  if (previousColour.every((c) => c === -1)) return layout;
  let bestShift = 0;
  let bestKept = -1;
  for (let shift = 0; shift < q; shift++) {
    let kept = 0;
    for (let p = 0; p < q; p++) if (layout[(p - shift + q) % q] === previousColour[p]) kept++;
    if (kept > bestKept) [bestShift, bestKept] = [shift, kept];
  }
  return Int32Array.from(layout, (_, p) => layout[(p - bestShift + q) % q]!);
}

/**
 * Gives each colour's (zone's) partitions to the zone's members: previous owners keep theirs
 * where they can, and the rest go, in ring order, to the member that is due and has shared
 * fewest windows with its neighbours (DiversePicker). Zone spread holds whoever is chosen.
 */
function assignMembersWithinColours(problem: ClaimProblem, colourOf: Int32Array, colourCount: number, colours: Int32Array): Int32Array {
  const owners = new Int32Array(problem.partitionCount).fill(unowned);
  const picker = new DiversePicker(problem, owners);
  problem.previous.forEach((m, p) => {
    if (m !== unowned && colourOf[m] === colours[p] && picker.wants(m)) picker.place(p, m);
  });
  const membersOf = Array.from({ length: colourCount }, (): number[] => []);
  colourOf.forEach((c, m) => membersOf[c]!.push(m));
  for (let p = 0; p < problem.partitionCount; p++) {
    if (owners[p] !== unowned) continue;
    picker.place(p, picker.pick(p, membersOf[colours[p]!]!, noCost));
  }
  return owners;
}

/**
 * A fresh ring placed partition by partition, 0 to Q-1, for spread AND diversity. Dynamo §4.2
 * wants a failed node's load "evenly dispersed across the remaining available nodes", so a
 * node's neighbours on the ring (the nodes it shares keys with) should vary; columnLayout
 * repeats the same few. Each partition goes to the member that repeats least within the window
 * (placementCost; near the end, the wrap to partition 0 counts too), then as DiversePicker
 * prefers. It can paint itself into a corner near the wrap; claim then repairs, or falls back
 * to columnLayout, which is always spread.
 */
export function diverseLayout(problem: ClaimProblem): Int32Array {
  const owners = new Int32Array(problem.partitionCount).fill(unowned);
  const picker = new DiversePicker(problem, owners);
  const everyone = [...problem.names.keys()];
  let p = 0;
  const costHere = (m: number): number => placementCost(problem, owners, p, m);
  for (; p < problem.partitionCount; p++) picker.place(p, picker.pick(p, everyone, costHere));
  return owners;
}

const noCost = (): number => 0;

/** How far (in windows) ahead of the most urgent member a member may be and still be chosen. */
const scheduleSlack = 1;

/**
 * Chooses owners one partition at a time. Among the cheapest candidates, it prefers a member
 * whose next copy is due (earliest deadline first: copy k of a member is due at (k + 1/2) * Q /
 * target, and members more than `scheduleSlack` windows behind the most urgent wait), so copies
 * stay evenly spaced and counts come out right; then the member that has shared fewest windows
 * with the owners already placed around the partition (diversity); then the most urgent.
 */
class DiversePicker {
  private readonly placed: Int32Array;
  private readonly shared = new Map<number, number>();
  /** Scratch: cost of each candidate, by its index in `members`. */
  private readonly costs: Float64Array;
  /** Scratch: owners already placed around the partition being picked. */
  private readonly around: number[] = [];

  constructor(
    private readonly problem: ClaimProblem,
    private readonly owners: Int32Array,
  ) {
    this.placed = new Int32Array(problem.names.length);
    this.costs = new Float64Array(problem.names.length);
  }

  wants(m: number): boolean {
    return this.placed[m]! < this.problem.targets[m]!;
  }

  pick(p: number, members: readonly number[], costOf: (m: number) => number): number {
    let cheapest = Infinity;
    for (let i = 0; i < members.length; i++) {
      const m = members[i]!;
      this.costs[i] = this.wants(m) ? costOf(m) : Infinity;
      cheapest = Math.min(cheapest, this.costs[i]!);
    }
    assert(cheapest < Infinity, 'more partitions than the members’ targets');
    let urgent = Infinity;
    for (let i = 0; i < members.length; i++) if (this.costs[i] === cheapest) urgent = Math.min(urgent, this.due(members[i]!));
    // Only members due within the slack are compared further: the most urgent always is.
    this.collectAround(p);
    let best = unowned;
    let bestSharing = Infinity;
    let bestDue = Infinity;
    for (let i = 0; i < members.length; i++) {
      const m = members[i]!;
      const due = this.due(m);
      if (this.costs[i] !== cheapest || due > urgent + scheduleSlack * this.problem.window) continue;
      let sharing = 0;
      for (const o of this.around) sharing += this.sharedCount(m, o);
      if (sharing < bestSharing || (sharing === bestSharing && due < bestDue)) [best, bestSharing, bestDue] = [m, sharing, due];
    }
    return best;
  }

  place(p: number, m: number): void {
    this.owners[p] = m;
    this.placed[m]!++;
    this.collectAround(p);
    for (const o of this.around) {
      this.shared.set(this.pairKey(m, o), this.sharedCount(m, o) + 1);
      this.shared.set(this.pairKey(o, m), this.sharedCount(o, m) + 1);
    }
  }

  private due(m: number): number {
    return ((this.placed[m]! + 0.5) * this.problem.partitionCount) / this.problem.targets[m]!;
  }

  /** Owners already placed within w-1 of p, either side. */
  private collectAround(p: number): void {
    const { partitionCount: q, window } = this.problem;
    this.around.length = 0;
    for (let d = 1; d < window && d < q; d++) {
      const after = this.owners[(p + d) % q]!;
      const before = this.owners[(p - d + q) % q]!;
      if (after !== unowned) this.around.push(after);
      if (before !== unowned) this.around.push(before);
    }
  }

  private sharedCount(a: number, b: number): number {
    return this.shared.get(this.pairKey(a, b)) ?? 0;
  }

  private pairKey(a: number, b: number): number {
    return a * this.problem.names.length + b;
  }
}
