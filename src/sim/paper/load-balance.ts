/**
 * Dynamo §6.2, Figure 8, reproduced: how evenly the three partitioning strategies spread load
 * over S = 30 nodes with N = 3, against the size of the membership data each node keeps.
 *
 * - Strategy 1: T random tokens per node; a key belongs to the range between two tokens and is
 *   replicated on the owners of the next N distinct nodes' tokens clockwise.
 * - Strategy 2: T random tokens per node, but the ring is cut into Q equal partitions (Q much
 *   larger than S·T); a partition's replicas are found walking the tokens clockwise from the
 *   partition's end.
 * - Strategy 3: Q equal partitions, Q/S per node — kvorum's ring, with our claim
 *   (src/core/ring/claim.ts) and preference lists (src/core/ring/ring.ts).
 *
 * Load is the share of the key space each node replicates, computed exactly (keys hash
 * uniformly, so request load follows it); efficiency is mean ÷ max node load, the paper's
 * measure. Membership data is counted in entries a node must keep: S·T tokens for strategies
 * 1 and 2 (their partition boundaries are implicit), Q partition owners for strategy 3.
 */
import { createRing } from '../../core/ring/ring.ts';
import { preferenceList } from '../../core/ring/ring.ts';
import type { RingNode } from '../../core/ring/types.ts';
import { Prng } from '../prng.ts';

export interface LoadBalanceRow {
  readonly strategy: 1 | 2 | 3;
  readonly tokensPerNode?: number | undefined;
  readonly partitions?: number | undefined;
  /** Entries of membership data per node (tokens, or partition owners). */
  readonly membershipEntries: number;
  /** Mean over trials of mean ÷ max node load. */
  readonly efficiency: number;
  /** The worst trial. */
  readonly efficiencyMin: number;
  readonly trials: number;
}

export interface LoadBalanceOptions {
  readonly nodesCount: number;
  readonly n: number;
  readonly tokensPerNode: readonly number[];
  /** Q for strategy 2: fixed and much larger than S·T, as the paper sets it. */
  readonly strategy2Partitions: number;
  readonly strategy3Partitions: readonly number[];
  readonly trials: number;
  readonly seed: number;
}

export const paperLoadBalanceOptions: LoadBalanceOptions = {
  nodesCount: 30,
  n: 3,
  tokensPerNode: [1, 2, 4, 8, 16, 32],
  strategy2Partitions: 1 << 14,
  strategy3Partitions: [32, 64, 128, 256, 512, 1024],
  trials: 20,
  seed: 2007,
};

const ringSize = 2 ** 32;

interface Token {
  readonly position: number;
  readonly node: number;
}

export function loadBalanceTable(options: LoadBalanceOptions): LoadBalanceRow[] {
  const prng = new Prng(options.seed);
  const rows: LoadBalanceRow[] = [];
  const { nodesCount: s, n } = options;
  for (const t of options.tokensPerNode) {
    rows.push(trialsRow(1, options, () => strategy1Loads(randomTokens(prng, s, t), s, n), { tokensPerNode: t, membershipEntries: s * t }));
  }
  for (const t of options.tokensPerNode) {
    const q = options.strategy2Partitions;
    rows.push(trialsRow(2, options, () => strategy2Loads(randomTokens(prng, s, t), s, n, q), { tokensPerNode: t, partitions: q, membershipEntries: s * t }));
  }
  for (const q of options.strategy3Partitions) {
    const efficiency = efficiencyOf(strategy3Loads(s, n, q));
    rows.push({ strategy: 3, partitions: q, membershipEntries: q, efficiency, efficiencyMin: efficiency, trials: 1 });
  }
  return rows;
}

function trialsRow(
  strategy: 1 | 2,
  options: LoadBalanceOptions,
  loads: () => Float64Array,
  shape: Pick<LoadBalanceRow, 'tokensPerNode' | 'partitions' | 'membershipEntries'>,
): LoadBalanceRow {
  const efficiencies = Array.from({ length: options.trials }, () => efficiencyOf(loads()));
  const efficiency = efficiencies.reduce((sum, e) => sum + e, 0) / efficiencies.length;
  return { strategy, ...shape, efficiency, efficiencyMin: Math.min(...efficiencies), trials: options.trials };
}

export function efficiencyOf(loads: Float64Array): number {
  let sum = 0;
  let max = 0;
  for (const load of loads) {
    sum += load;
    max = Math.max(max, load);
  }
  return sum / loads.length / max;
}

function randomTokens(prng: Prng, nodesCount: number, tokensPerNode: number): Token[] {
  const tokens: Token[] = [];
  for (let node = 0; node < nodesCount; node++) {
    for (let i = 0; i < tokensPerNode; i++) tokens.push({ position: prng.nextU32(), node });
  }
  return tokens.sort((a, b) => a.position - b.position || a.node - b.node);
}

/** The first n distinct nodes owning tokens at or after index `start`, clockwise. */
function distinctOwnersFrom(tokens: readonly Token[], start: number, n: number): number[] {
  const owners: number[] = [];
  for (let step = 0; step < tokens.length && owners.length < n; step++) {
    const owner = tokens[(start + step) % tokens.length]!.node;
    if (!owners.includes(owner)) owners.push(owner);
  }
  return owners;
}

/** Strategy 1: the range (previous token, token] is replicated from that token on. */
export function strategy1Loads(tokens: readonly Token[], nodesCount: number, n: number): Float64Array {
  const loads = new Float64Array(nodesCount);
  tokens.forEach((token, i) => {
    const previous = i === 0 ? tokens[tokens.length - 1]!.position - ringSize : tokens[i - 1]!.position;
    const share = (token.position - previous) / ringSize;
    for (const owner of distinctOwnersFrom(tokens, i, n)) loads[owner]! += share;
  });
  return loads;
}

/** Strategy 2: partition p's replicas are found walking from the first token at or after its end. */
export function strategy2Loads(tokens: readonly Token[], nodesCount: number, n: number, partitions: number): Float64Array {
  const loads = new Float64Array(nodesCount);
  let next = 0;
  for (let p = 0; p < partitions; p++) {
    const end = ((p + 1) * ringSize) / partitions;
    while (next < tokens.length && tokens[next]!.position < end) next++;
    for (const owner of distinctOwnersFrom(tokens, next % tokens.length, n)) loads[owner]! += 1 / partitions;
  }
  return loads;
}

/** Strategy 3: kvorum's ring — claim assigns Q/S partitions per node; preference lists as served. */
export function strategy3Loads(nodesCount: number, n: number, partitions: number): Float64Array {
  const names = Array.from({ length: nodesCount }, (_, i) => `n${String(i + 1).padStart(2, '0')}`);
  const nodes: RingNode[] = names.map((name, i) => ({ name, address: `paper:${i}`, httpUrl: `http://paper:${i}`, capacity: 1 }));
  const ring = createRing(nodes, partitions, n);
  const loads = new Float64Array(nodesCount);
  for (let p = 0; p < partitions; p++) {
    for (const owner of preferenceList(ring, p, n)) loads[names.indexOf(owner)]! += 1 / partitions;
  }
  return loads;
}

export function formatLoadBalanceTable(rows: readonly LoadBalanceRow[]): string[] {
  const lines = ['| strategy | tokens per node (T) | partitions (Q) | membership entries | efficiency (mean ÷ max) | worst trial |', '| --- | ---: | ---: | ---: | ---: | ---: |'];
  for (const row of rows) {
    lines.push(
      `| ${row.strategy} | ${row.tokensPerNode ?? '—'} | ${row.partitions ?? '—'} | ${row.membershipEntries} | ${row.efficiency.toFixed(3)} | ${row.trials > 1 ? row.efficiencyMin.toFixed(3) : '—'} |`,
    );
  }
  return lines;
}
