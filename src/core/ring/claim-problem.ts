/**
 * The claim problem in the form the algorithm works on: members as indices (sorted by name, so
 * every node numbers them alike), owners as an Int32Array of member indices (-1 = unowned), and
 * the cost of a placement, which counts how badly windows of N partitions repeat a node or zone.
 */

/** Marks a partition with no owner (never owned, or owned by a node that left). */
export const unowned = -1;

export interface ClaimProblem {
  /** Q. */
  readonly partitionCount: number;
  /** w = min(N, Q): the size of the windows that should hold distinct owners. */
  readonly window: number;
  /** Member names, sorted by code unit (not locale: every node must sort alike). */
  readonly names: readonly string[];
  readonly capacities: readonly number[];
  /** Zone index per member; a member without a zone is a zone of its own. */
  readonly zoneOf: Int32Array;
  readonly zoneCount: number;
  /**
   * Some layouts are better than others: S > w, or node spread is feasible. (With S <= w and
   * spread infeasible, every window repeats a node and every node holds every key anyway.)
   */
  readonly nodeSpreadMatters: boolean;
  /** Node spread matters and there are at least w zones, so a window can hold w distinct zones. */
  readonly zoneSpreadMatters: boolean;
  /** Every window can hold w distinct nodes (see isSpreadFeasible): then claim guarantees it. */
  readonly nodeSpreadFeasible: boolean;
  /** Every window can hold w distinct zones: then claim guarantees it. */
  readonly zoneSpreadFeasible: boolean;
  /** Owner of each partition before this claim (member index), unowned if none or departed. */
  readonly previous: Int32Array;
  /** Partitions each member should end with. */
  readonly targets: Int32Array;
}

/**
 * Cost of member m at partition p: for each neighbour within w-1 on either side, the number of
 * windows that hold both (w - distance). A same-node pair weighs costScale + 1 (it is a
 * same-zone pair too), a same-zone pair 1, so the node part and the zone part of a cost separate
 * (nodePart / zonePart) and comparing costs compares nodes first. The sum over all partitions
 * is twice the ring's cost; the node part is zero exactly when every window has distinct
 * nodes, the zone part exactly when every window has distinct zones.
 */
export function placementCost(problem: ClaimProblem, owners: Int32Array, p: number, m: number): number {
  const { partitionCount: q, window, zoneOf } = problem;
  const zone = zoneOf[m]!;
  const nodeWeight = costScale(window) + 1;
  let cost = 0;
  let after = p;
  let before = p;
  for (let distance = 1; distance < window; distance++) {
    after = after + 1 === q ? 0 : after + 1;
    before = before === 0 ? q - 1 : before - 1;
    const weight = window - distance;
    const a = owners[after]!;
    const b = owners[before]!;
    if (a >= 0 && zoneOf[a] === zone) cost += a === m ? weight * nodeWeight : weight;
    if (b >= 0 && zoneOf[b] === zone) cost += b === m ? weight * nodeWeight : weight;
  }
  return cost;
}

/**
 * Larger than the zone part of any two partitions' costs together (each at most w(w-1)), so
 * the parts separate and a swap can never trade a node repeat for fewer zone repeats.
 */
export function costScale(window: number): number {
  return 2 * window * window;
}

export function nodePart(problem: ClaimProblem, cost: number): number {
  return Math.floor(cost / costScale(problem.window));
}

export function zonePart(problem: ClaimProblem, cost: number): number {
  return cost % costScale(problem.window);
}

export function ownerCost(problem: ClaimProblem, owners: Int32Array, p: number): number {
  const m = owners[p]!;
  return m === unowned ? 0 : placementCost(problem, owners, p, m);
}

export function countOwned(owners: Int32Array, memberCount: number): Int32Array {
  const counts = new Int32Array(memberCount);
  for (const m of owners) if (m !== unowned) counts[m]!++;
  return counts;
}

export function lexicographicLess(a: readonly number[], b: readonly number[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]!;
  return false;
}

/**
 * Owners plus each partition's current cost, kept up to date as owners change (a change at p
 * only alters the costs within w-1 of p), so a candidate move costs one placementCost call.
 */
export class Placement {
  readonly owners: Int32Array;
  readonly costAt: Float64Array;

  constructor(
    readonly problem: ClaimProblem,
    owners: Int32Array,
  ) {
    this.owners = owners;
    this.costAt = Float64Array.from(owners, (_, p) => ownerCost(problem, owners, p));
  }

  /** Cost member m would have at p, given everyone else where they are. */
  costOf(p: number, m: number): number {
    return placementCost(this.problem, this.owners, p, m);
  }

  set(p: number, m: number): void {
    this.owners[p] = m;
    this.refreshAround(p);
  }

  swap(i: number, j: number): void {
    const m = this.owners[i]!;
    this.owners[i] = this.owners[j]!;
    this.owners[j] = m;
    this.refreshAround(i);
    this.refreshAround(j);
  }

  private refreshAround(p: number): void {
    const { partitionCount: q, window } = this.problem;
    const reach = Math.min(window - 1, q - 1);
    for (let d = -reach; d <= reach; d++) {
      const r = (((p + d) % q) + q) % q;
      this.costAt[r] = ownerCost(this.problem, this.owners, r);
    }
  }
}
