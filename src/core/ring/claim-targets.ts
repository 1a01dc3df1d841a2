/**
 * How many partitions each member should own (Dynamo §6.2 strategy 3 balances by giving each
 * node Q/S partitions; we weight by capacity).
 *
 * 1. Ideal shares: Q * capacity / total capacity, except where spread needs caps (w = min(N, Q),
 *    rows = floor(Q / w)):
 *    - a node may hold at most `rows` partitions when node spread is feasible — beyond that,
 *      windows of w partitions would repeat it;
 *    - a zone may hold at most `zoneCap` partitions when there are >= w zones: `rows` when zone
 *      spread is feasible, else the smallest cap that still lets the zones hold all Q partitions
 *      (so the few windows that must repeat a zone stay few).
 *    Capped zones and nodes keep the cap and the rest is shared out by capacity again
 *    (water-filling), first across zones, then within each zone. A capped node loses nothing
 *    real: it already holds a replica of every key whose window it touches.
 * 2. Rounding: every member gets floor or ceil of its ideal share, and every zone floor or ceil
 *    of its own (largest remainder, first across zones and then within each: a laminar family
 *    always rounds consistently). Ties go to whoever owned more before (fewer moves), then name.
 *
 * Guarantee: |target - ideal| < 1 for every member. With no caps binding (always the case for
 * equal capacities without zones), that is floor or ceil of Q * capacity / total capacity.
 */
import { assertFailed } from '../assert.ts';

export interface TargetInput {
  readonly partitionCount: number;
  readonly capacities: readonly number[];
  readonly zoneOf: Int32Array;
  readonly zoneCount: number;
  /** floor(Q / w) when node spread is feasible, else Infinity (no cap can be met anyway). */
  readonly memberCap: number;
  /** Whether there are at least w zones, so zone caps make sense. */
  readonly zoneSpreadMatters: boolean;
  /** Partitions each member owns before this claim; breaks ties toward fewer moves. */
  readonly previousCounts: Int32Array;
}

/** Remainders closer than this are equal: float noise must not decide who gets a partition. */
const remainderResolution = 1e-9;

function idealShares(input: TargetInput): Float64Array {
  const { capacities, zoneOf, zoneCount, memberCap } = input;
  const zoneCapacity = new Float64Array(zoneCount);
  const zoneMembers = Array.from({ length: zoneCount }, (): number[] => []);
  capacities.forEach((c, m) => {
    zoneCapacity[zoneOf[m]!]! += c;
    zoneMembers[zoneOf[m]!]!.push(m);
  });
  const zoneCap = zoneCapFor(input, zoneMembers);
  const zoneCaps = zoneMembers.map((members) => Math.min(zoneCap, members.length * memberCap));
  const zoneIdeal = waterFill(zoneCapacity, zoneCaps, input.partitionCount);
  const ideal = new Float64Array(capacities.length);
  zoneMembers.forEach((members, z) => {
    const weights = Float64Array.from(members, (m) => capacities[m]!);
    const shares = waterFill(weights, members.map(() => memberCap), zoneIdeal[z]!);
    members.forEach((m, i) => (ideal[m] = shares[i]!));
  });
  return ideal;
}

/** The smallest zone cap >= rows under which the zones can still hold all Q partitions. */
function zoneCapFor(input: TargetInput, zoneMembers: readonly number[][]): number {
  if (!Number.isFinite(input.memberCap) || !input.zoneSpreadMatters) return Infinity;
  const holds = (cap: number): number => zoneMembers.reduce((sum, ms) => sum + Math.min(cap, ms.length * input.memberCap), 0);
  let cap = input.memberCap;
  while (holds(cap) < input.partitionCount) cap++;
  return cap;
}

export function partitionTargets(input: TargetInput): Int32Array {
  const { capacities, zoneOf, zoneCount, previousCounts } = input;
  const ideal = idealShares(input);
  const zoneIdeal = new Float64Array(zoneCount);
  const zonePrevious = new Float64Array(zoneCount);
  ideal.forEach((share, m) => {
    zoneIdeal[zoneOf[m]!]! += share;
    zonePrevious[zoneOf[m]!]! += previousCounts[m]!;
  });
  const zoneTargets = roundShares(zoneIdeal, input.partitionCount, zonePrevious);
  const targets = new Int32Array(capacities.length);
  for (let z = 0; z < zoneCount; z++) {
    const members = membersOf(zoneOf, z);
    const shares = Float64Array.from(members, (m) => ideal[m]!);
    const previous = Float64Array.from(members, (m) => previousCounts[m]!);
    const rounded = roundShares(shares, zoneTargets[z]!, previous);
    members.forEach((m, i) => (targets[m] = rounded[i]!));
  }
  return targets;
}

/**
 * Shares proportional to weight that sum to `total`, none above its cap. Items are capped in
 * order of cap / weight (the first to overflow as the level rises); the rest share what is left.
 */
function waterFill(weights: Float64Array, caps: readonly number[], total: number): Float64Array {
  const order = [...weights.keys()].sort((a, b) => caps[a]! / weights[a]! - caps[b]! / weights[b]! || a - b);
  const shares = new Float64Array(weights.length);
  let totalLeft = total;
  let weightLeft = weights.reduce((sum, w) => sum + w, 0);
  let capping = true;
  let rate = totalLeft / weightLeft;
  for (const i of order) {
    if (capping && rate * weights[i]! >= caps[i]!) {
      shares[i] = caps[i]!;
      totalLeft -= caps[i]!;
      weightLeft -= weights[i]!;
      rate = weightLeft > 0 ? totalLeft / weightLeft : 0;
      continue;
    }
    capping = false;
    shares[i] = rate * weights[i]!;
  }
  const sum = shares.reduce((s, x) => s + x, 0);
  if (!(Math.abs(sum - total) < 1e-6 * Math.max(1, total))) assertFailed(`water-fill gave ${sum} of ${total}: caps too small`);
  return shares;
}

/** Largest-remainder rounding to integers that sum to `total`, each floor or ceil of its share. */
function roundShares(shares: Float64Array, total: number, tiePriority: Float64Array): Int32Array {
  const floors = Int32Array.from(shares, (s) => Math.floor(s + remainderResolution));
  let left = total - floors.reduce((sum, f) => sum + f, 0);
  if (!(left >= 0 && left <= shares.length)) assertFailed(`rounding left ${left} partitions for ${shares.length} shares`);
  const remainder = (i: number): number => Math.round((shares[i]! - floors[i]!) / remainderResolution);
  const order = [...shares.keys()].sort(
    (a, b) => remainder(b) - remainder(a) || tiePriority[b]! - tiePriority[a]! || a - b,
  );
  for (const i of order) {
    if (left === 0) break;
    floors[i]!++;
    left--;
  }
  return floors;
}

function membersOf(zoneOf: Int32Array, zone: number): number[] {
  const members: number[] = [];
  zoneOf.forEach((z, m) => {
    if (z === zone) members.push(m);
  });
  return members;
}
