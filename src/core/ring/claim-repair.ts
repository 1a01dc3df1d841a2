/**
 * Local repair of spread by swapping the owners of two partitions. A swap keeps every member's
 * count (so balance holds) and changes only the windows around the two partitions. For each
 * partition that still repeats a node (zone) within its window, take the swap that moves fewest
 * extra partitions (relative to the previous ring), then lowers the cost most; when no swap
 * helps, try a chain of moves (claim-chain.ts), then rearranging an arc (claim-segment.ts). Passes repeat until one changes nothing. The
 * cost falls with every change, so this ends.
 */
import type { ClaimProblem } from './claim-problem.ts';
import { Placement, nodePart, unowned } from './claim-problem.ts';
import { repairByChain } from './claim-chain.ts';
import { repairBySegment } from './claim-segment.ts';

export interface RepairGoal {
  /** `node`: windows that repeat a node; `all`: nodes first, then zones. */
  readonly cost: 'node' | 'all';
  /** Largest increase in moved partitions one swap may cause (0: only swaps that move nothing new). */
  readonly movesPerSwapMax: number;
  /** Swap candidates and fit checks before giving up: bounds time, deterministically (unlike a clock). */
  readonly workMax: number;
}

interface Swap {
  readonly j: number;
  readonly moves: number;
  readonly delta: number;
}

export function repairSpread(problem: ClaimProblem, owners: Int32Array, goal: RepairGoal): void {
  const placement = new Placement(problem, owners);
  const budget = { left: goal.workMax };
  for (let changed = true; changed && budget.left > 0; ) {
    changed = false;
    for (let i = 0; i < problem.partitionCount && budget.left > 0; i++) {
      if (goalCost(problem, placement.costAt[i]!, goal) === 0) continue;
      const best = bestSwapFor(placement, i, goal, budget);
      if (best !== undefined) {
        placement.swap(i, best.j);
        changed = true;
      } else if (goal.movesPerSwapMax > 0) {
        const fit = { costOf: (cost: number): number => goalCost(problem, cost, goal) };
        changed = repairByChain(placement, i, fit, budget) || repairBySegment(placement, i, fit, budget) || changed;
      }
    }
  }
}

function bestSwapFor(placement: Placement, i: number, goal: RepairGoal, budget: { left: number }): Swap | undefined {
  const { problem, owners, costAt } = placement;
  const a = owners[i]!;
  const costHereBefore = goalCost(problem, costAt[i]!, goal);
  const costHereIf = new Map<number, number>();
  let best: Swap | undefined;
  for (let j = 0; j < problem.partitionCount; j++) {
    const b = owners[j]!;
    if (b === a || !worthTrying(problem, owners, goal, i, j)) continue;
    if (--budget.left < 0) break;
    const moves = movesAfterSwap(problem, owners, i, j);
    if (moves > goal.movesPerSwapMax) continue;
    let delta: number;
    if (cyclicDistance(i, j, problem.partitionCount) < problem.window) {
      delta = overlappingSwapDelta(placement, i, j, goal);
    } else {
      // Windows of i and j are disjoint: each side's change is independent of the other.
      let here = costHereIf.get(b);
      if (here === undefined) costHereIf.set(b, (here = goalCost(problem, placement.costOf(i, b), goal)));
      delta = here - costHereBefore + goalCost(problem, placement.costOf(j, a), goal) - goalCost(problem, costAt[j]!, goal);
    }
    if (delta >= 0) continue;
    if (best === undefined || moves < best.moves || (moves === best.moves && delta < best.delta)) best = { j, moves, delta };
  }
  return best;
}

/**
 * With no extra moves allowed, only a partition that has moved already, or one owned by i's
 * previous owner (the swap gives i back to it), can be swapped with i.
 */
function worthTrying(problem: ClaimProblem, owners: Int32Array, goal: RepairGoal, i: number, j: number): boolean {
  if (goal.movesPerSwapMax > 0) return true;
  const { previous } = problem;
  return owners[j] !== previous[j] || (previous[i] !== unowned && owners[j] === previous[i]);
}

function goalCost(problem: ClaimProblem, cost: number, goal: RepairGoal): number {
  return goal.cost === 'node' ? nodePart(problem, cost) : cost;
}

/** Swap, measure, swap back: i and j share windows, so their costs depend on each other. */
function overlappingSwapDelta(placement: Placement, i: number, j: number, goal: RepairGoal): number {
  const { problem, owners } = placement;
  const local = (): number =>
    goalCost(problem, placement.costOf(i, owners[i]!), goal) + goalCost(problem, placement.costOf(j, owners[j]!), goal);
  const before = local();
  swapOwners(owners, i, j);
  const after = local();
  swapOwners(owners, i, j);
  return after - before;
}

/** How many more partitions end up with a different owner than before this claim. */
function movesAfterSwap(problem: ClaimProblem, owners: Int32Array, i: number, j: number): number {
  const { previous } = problem;
  const a = owners[i]!;
  const b = owners[j]!;
  return (b !== previous[i] ? 1 : 0) + (a !== previous[j] ? 1 : 0) - (a !== previous[i] ? 1 : 0) - (b !== previous[j] ? 1 : 0);
}

function cyclicDistance(i: number, j: number, q: number): number {
  const d = Math.abs(i - j);
  return Math.min(d, q - d);
}

function swapOwners(owners: Int32Array, i: number, j: number): void {
  const m = owners[i]!;
  owners[i] = owners[j]!;
  owners[j] = m;
}
