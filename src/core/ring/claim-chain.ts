/**
 * Repair by a chain of moves, for the partition no single swap can fix: give partition i
 * (owner a) to a member b that fits there, then let b give one of its partitions to a member c
 * that fits there, ... until some member gives one to a. Every member keeps its count, and every
 * partition on the chain gets an owner that repeats nothing within its window. The chain is an
 * augmenting path in the graph "x can hand one of its partitions to y", found by breadth-first
 * search (shortest chain, then fewest extra moves), as in bipartite matching.
 */
import type { ClaimProblem, Placement } from './claim-problem.ts';
import { unowned } from './claim-problem.ts';

export interface ChainGoal {
  /** The part of a placement cost that must be zero for a member to fit at a partition. */
  readonly costOf: (cost: number) => number;
}

interface Link {
  /** Member that hands the partition over (the previous link's receiver). */
  readonly from: number;
  readonly partition: number;
  /** Extra moves of the chain up to and including this link. */
  readonly moves: number;
}

/** Tries to make partition i fit by a chain of moves; returns whether the ring got better. */
export function repairByChain(placement: Placement, i: number, goal: ChainGoal, budget: { left: number }): boolean {
  const links = searchChain(placement, i, goal, budget);
  if (links === undefined) return false;
  const before = totalGoalCost(placement, goal);
  const undo = applyChain(placement, i, links);
  if (totalGoalCost(placement, goal) < before) return true;
  // Two links close together can spoil each other's fit (each was checked alone): roll back.
  for (const [p, m] of undo.reverse()) placement.set(p, m);
  return false;
}

/**
 * links.get(y) = how y was reached: the member it takes a partition from, and which. The search
 * starts from the members that fit at i and ends when it reaches i's owner.
 */
function searchChain(placement: Placement, i: number, goal: ChainGoal, budget: { left: number }): Map<number, Link> | undefined {
  const { problem, owners } = placement;
  const target = owners[i]!;
  const positions = positionsByOwner(owners, problem.names.length);
  const links = new Map<number, Link>();
  let frontier: number[] = [];
  for (let b = 0; b < problem.names.length; b++) {
    if (b === target || !fits(placement, i, b, goal, budget)) continue;
    links.set(b, { from: target, partition: i, moves: moveCost(problem, i, b, target) });
    frontier.push(b);
  }
  while (frontier.length > 0 && budget.left > 0) {
    const next = new Map<number, Link>();
    for (const x of frontier) {
      for (const p of positions[x]!) extendFrom(placement, x, p, links, next, goal, budget);
    }
    if (next.has(target)) {
      links.set(target, next.get(target)!);
      return links;
    }
    for (const [y, link] of next) links.set(y, link);
    frontier = [...next.keys()];
  }
  return undefined;
}

/** Every member not reached yet that fits at p (owned by x) becomes reachable through p. */
function extendFrom(
  placement: Placement,
  x: number,
  p: number,
  links: Map<number, Link>,
  next: Map<number, Link>,
  goal: ChainGoal,
  budget: { left: number },
): void {
  const { problem } = placement;
  const movesSoFar = links.get(x)!.moves;
  for (let y = 0; y < problem.names.length && budget.left > 0; y++) {
    if (y === x || links.has(y) || !fits(placement, p, y, goal, budget)) continue;
    const moves = movesSoFar + moveCost(problem, p, y, x);
    const known = next.get(y);
    if (known === undefined || moves < known.moves) next.set(y, { from: x, partition: p, moves });
  }
}

function fits(placement: Placement, p: number, m: number, goal: ChainGoal, budget: { left: number }): boolean {
  budget.left--;
  return goal.costOf(placement.costOf(p, m)) === 0;
}

/** Change in moved partitions when p goes from `from` to `to`. */
function moveCost(problem: ClaimProblem, p: number, to: number, from: number): number {
  const previous = problem.previous[p]!;
  return (to !== previous ? 1 : 0) - (from !== previous ? 1 : 0);
}

/** Applies the chain that ends at i's owner; returns the (partition, old owner) pairs to undo it. */
function applyChain(placement: Placement, i: number, links: Map<number, Link>): [number, number][] {
  const undo: [number, number][] = [];
  let receiver = placement.owners[i]!;
  for (;;) {
    const link = links.get(receiver)!;
    undo.push([link.partition, placement.owners[link.partition]!]);
    placement.set(link.partition, receiver);
    if (link.partition === i) return undo;
    receiver = link.from;
  }
}

function positionsByOwner(owners: Int32Array, memberCount: number): number[][] {
  const positions = Array.from({ length: memberCount }, (): number[] => []);
  owners.forEach((m, p) => m !== unowned && positions[m]!.push(p));
  return positions;
}

function totalGoalCost(placement: Placement, goal: ChainGoal): number {
  let total = 0;
  for (const cost of placement.costAt) total += goal.costOf(cost);
  return total;
}
