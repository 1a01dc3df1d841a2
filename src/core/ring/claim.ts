/**
 * Claim: which node owns each of the Q partitions (Dynamo §6.2 strategy 3: Q equal partitions,
 * Q/S per node; riak_core's claim is the reference design). Every node computes the ring on its
 * own from the same inputs, so claim is a pure, deterministic function: members are sorted by
 * name (code units, not locale), nothing is random, and ties are broken by index.
 *
 * What it guarantees (tested in claim.test.ts), with w = min(N, Q):
 * - Balance: each member owns floor or ceil of its ideal share (claim-targets.ts): Q * capacity
 *   / total capacity, unless a node (zone) share exceeds what it can hold with spread, floor(Q/w);
 *   then it holds that and the rest is shared by capacity. So |owned - ideal| < 1.
 * - Spread: every window of w consecutive partitions (cyclically) has w distinct nodes whenever
 *   S * floor(Q/w) >= Q, and w distinct zones whenever #zones * floor(Q/w) >= Q (a node without
 *   a zone is a zone of its own). Exact condition: see isSpreadFeasible.
 *   When node spread is infeasible and S > w, windows that repeat a node are kept few by local
 *   search (a local optimum, not a proven minimum). When S <= w, every node holds every key
 *   whatever the layout, so claim spends no moves on spread. With >= w zones but zone spread
 *   infeasible (3 zones, N = 3, Q a power of two), zones get caps just above floor(Q/w) and
 *   zone repeats are kept few (typically the unavoidable 2 windows).
 * - Movement: from a previous ring, the incremental claim moves only departed nodes' partitions
 *   and over-target surpluses, which is the minimum; more moves are made only by swaps and
 *   chains that repair spread, and a full rebalance happens only when those cannot restore a
 *   feasible spread (in practice: tight rings where a node or zone is at or near its cap).
 */
import { KvorumError } from '../errors.ts';
import { limits } from '../limits.ts';
import { isValidPartitionCount } from './hash.ts';
import type { ClaimMember } from './types.ts';
import type { ClaimProblem } from './claim-problem.ts';
import { countOwned, nodePart, ownerCost, unowned, zonePart } from './claim-problem.ts';
import { partitionTargets } from './claim-targets.ts';
import { diverseLayout, spreadLayout } from './claim-layout.ts';
import { claimIncrementally } from './claim-incremental.ts';
import { repairSpread } from './claim-repair.ts';
import { isSpreadFeasible, domainPartitionsMax } from './spread.ts';

export { spreadViolations, isSpreadFeasible, domainPartitionsMax } from './spread.ts';
export type { ZoneOf } from './spread.ts';

/**
 * Work (swap candidates, fit checks) spent restoring spread before falling back to a full
 * rebalance, per partition and window slot: enough for the repairs a join or leave needs,
 * and a bound on time (deterministic, unlike a clock) when nothing will help.
 */
const repairWorkPerPartitionSlot = 32;
const repairWorkMin = 1 << 14;
/** Work spent improving spread further (zones) without moving more partitions. */
const polishWorkMax = 1 << 18;

/** owners[p] for every partition p of a ring of `partitionCount` partitions. */
export function claim(
  previousOwners: readonly string[] | undefined,
  members: readonly ClaimMember[],
  partitionCount: number,
  targetN: number,
): string[] {
  const problem = claimProblem(previousOwners, members, partitionCount, targetN);
  const owners = solve(problem);
  return Array.from(owners, (m) => problem.names[m]!);
}

/** The partition count claim aims to give each member (for plans: what will move where). */
export function claimTargets(
  previousOwners: readonly string[] | undefined,
  members: readonly ClaimMember[],
  partitionCount: number,
  targetN: number,
): Map<string, number> {
  const problem = claimProblem(previousOwners, members, partitionCount, targetN);
  return new Map(problem.names.map((name, m) => [name, problem.targets[m]!]));
}

function solve(problem: ClaimProblem): Int32Array {
  const keepsAny = problem.previous.some((m) => m !== unowned);
  let owners = keepsAny ? claimIncrementally(problem) : freshLayout(problem);
  if (!problem.nodeSpreadMatters) return owners;
  const cost = problem.zoneSpreadMatters ? 'all' : 'node';
  const workMax = Math.max(repairWorkMin, repairWorkPerPartitionSlot * problem.partitionCount * problem.window);
  repairSpread(problem, owners, { cost, movesPerSwapMax: 2, workMax });
  if (missesFeasibleSpread(problem, owners)) {
    // Incremental moves and swaps could not restore a spread that is feasible: rebuild the ring
    // (rotated to keep what it can). It moves many partitions, but spread decides how many
    // distinct nodes (zones) hold each key, which is worth more than a one-off transfer.
    owners = spreadLayout(problem);
  }
  // Zones beyond what is guaranteed (e.g. 2 zones, N = 3: each key in both), at no extra moves.
  repairSpread(problem, owners, { cost: 'all', movesPerSwapMax: 0, workMax: polishWorkMax });
  return owners;
}

/**
 * A new ring. With real zones and zone spread feasible: zones by columns (each zone then keeps
 * the same few neighbouring zones, which leaves room to fill a leaver's partitions within the
 * rules later) and members placed for diversity inside. Otherwise: placed for diversity
 * directly. Either way solve() repairs, or rebuilds by columns, if spread is missed.
 */
function freshLayout(problem: ClaimProblem): Int32Array {
  const zonesGiven = problem.zoneCount < problem.names.length;
  return zonesGiven && problem.zoneSpreadFeasible ? spreadLayout(problem) : diverseLayout(problem);
}

function missesFeasibleSpread(problem: ClaimProblem, owners: Int32Array): boolean {
  for (let p = 0; p < problem.partitionCount; p++) {
    const cost = ownerCost(problem, owners, p);
    if (problem.nodeSpreadFeasible && nodePart(problem, cost) > 0) return true;
    if (problem.zoneSpreadFeasible && zonePart(problem, cost) > 0) return true;
  }
  return false;
}

function claimProblem(
  previousOwners: readonly string[] | undefined,
  members: readonly ClaimMember[],
  partitionCount: number,
  targetN: number,
): ClaimProblem {
  validate(previousOwners, members, partitionCount, targetN);
  const sorted = [...members].sort((a, b) => compareCodeUnits(a.name, b.name));
  const names = sorted.map((m) => m.name);
  const capacities = sorted.map((m) => m.capacity);
  const { zoneOf, zoneCount } = zoneIndices(sorted);
  const window = Math.min(targetN, partitionCount);
  const nodeSpreadFeasible = isSpreadFeasible(names.length, partitionCount, window);
  // With S <= w (and spread infeasible) every window repeats a node whatever we do, and every
  // node holds every key anyway: no layout is better than another, so none is worth a move.
  const nodeSpreadMatters = names.length > window || nodeSpreadFeasible;
  const zoneSpreadMatters = nodeSpreadMatters && zoneCount >= window;
  const previous = projectPrevious(previousOwners, partitionCount, names);
  const targets = partitionTargets({
    partitionCount,
    capacities,
    zoneOf,
    zoneCount,
    memberCap: nodeSpreadFeasible ? domainPartitionsMax(partitionCount, window) : Infinity,
    zoneSpreadMatters,
    previousCounts: countOwned(previous, names.length),
  });
  return {
    partitionCount,
    window,
    names,
    capacities,
    zoneOf,
    zoneCount,
    nodeSpreadMatters,
    zoneSpreadMatters,
    nodeSpreadFeasible,
    zoneSpreadFeasible: isSpreadFeasible(zoneCount, partitionCount, window),
    previous,
    targets,
  };
}

function zoneIndices(sorted: readonly ClaimMember[]): { zoneOf: Int32Array; zoneCount: number } {
  // A member without a zone is its own failure domain; prefixes keep zone and node names apart.
  const keys = sorted.map((m) => (m.zone === undefined ? `node:${m.name}` : `zone:${m.zone}`));
  const distinct = [...new Set(keys)].sort(compareCodeUnits);
  const index = new Map(distinct.map((key, i) => [key, i]));
  return { zoneOf: Int32Array.from(keys, (key) => index.get(key)!), zoneCount: distinct.length };
}

/**
 * Previous owner of each partition, as a member index (unowned if that node left). A previous
 * ring with a different Q is projected: new partition p lies inside (or starts) the old
 * partition floor(p * Q_old / Q), and keeping its owner keeps that range's data in place.
 */
function projectPrevious(previousOwners: readonly string[] | undefined, partitionCount: number, names: readonly string[]): Int32Array {
  const previous = new Int32Array(partitionCount).fill(unowned);
  if (previousOwners === undefined) return previous;
  const index = new Map(names.map((name, m) => [name, m]));
  for (let p = 0; p < partitionCount; p++) {
    const owner = previousOwners[Math.floor((p * previousOwners.length) / partitionCount)]!;
    previous[p] = index.get(owner) ?? unowned;
  }
  return previous;
}

/** Locale-independent order: every node must sort names the same way. */
function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function validate(
  previousOwners: readonly string[] | undefined,
  members: readonly ClaimMember[],
  partitionCount: number,
  targetN: number,
): void {
  if (!isValidPartitionCount(partitionCount)) {
    throw badConfig(`partition count must be a power of two from ${limits.partitionCountMin} to ${limits.partitionCountMax}, got ${partitionCount}`);
  }
  if (!Number.isInteger(targetN) || targetN < 1 || targetN > limits.nValMax) {
    throw badConfig(`N must be an integer from 1 to ${limits.nValMax}, got ${targetN}`);
  }
  if (members.length === 0) throw badConfig('a ring needs at least one member');
  if (members.length > limits.nodesCountMax) throw badConfig(`at most ${limits.nodesCountMax} members, got ${members.length}`);
  const seen = new Set<string>();
  for (const m of members) validateMember(m, seen);
  if (previousOwners !== undefined && !isValidPartitionCount(previousOwners.length)) {
    throw badConfig(`previous ring has ${previousOwners.length} partitions, not a valid partition count`);
  }
}

function validateMember(member: ClaimMember, seen: Set<string>): void {
  if (typeof member.name !== 'string' || member.name.length === 0) throw badConfig('member name must be a non-empty string');
  if (seen.has(member.name)) throw badConfig(`duplicate member name ${JSON.stringify(member.name)}`);
  seen.add(member.name);
  if (typeof member.capacity !== 'number' || !Number.isFinite(member.capacity) || member.capacity <= 0) {
    throw badConfig(`member ${member.name}: capacity must be a positive finite number, got ${String(member.capacity)}`);
  }
  if (member.zone !== undefined && typeof member.zone !== 'string') throw badConfig(`member ${member.name}: zone must be a string`);
}

function badConfig(message: string): KvorumError {
  return new KvorumError('bad_config', message);
}
