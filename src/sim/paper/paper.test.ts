import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HistoryEntry } from '../history.ts';
import { efficiencyOf, loadBalanceTable, paperLoadBalanceOptions, strategy3Loads } from './load-balance.ts';
import { countVersions, versionsRow } from './versions.ts';
import { gossipSpreadTable } from './gossip-spread.ts';

test('a membership change reaches every node by gossip, in a few rounds for a few nodes', () => {
  const [row] = gossipSpreadTable({ nodeCounts: [12], trials: 3, seed: 5, partitionCount: 64 });
  assert.ok(row!.maxMs < 10_000, `worst trial took ${row!.maxMs} ms`);
  assert.ok(row!.meanMs > 0 && row!.messagesPerNode > 0);
});

test('efficiency is mean over max', () => {
  assert.equal(efficiencyOf(Float64Array.from([1, 1, 1])), 1);
  assert.equal(efficiencyOf(Float64Array.from([1, 2, 3])), 2 / 3);
});

test('every strategy hands out N copies of the whole key space', () => {
  const rows = loadBalanceTable({ ...paperLoadBalanceOptions, tokensPerNode: [4], strategy3Partitions: [64], trials: 2 });
  assert.deepEqual(rows.map((row) => row.strategy), [1, 2, 3]);
  const loads = strategy3Loads(30, 3, 64);
  assert.ok(Math.abs(loads.reduce((sum, load) => sum + load, 0) - 3) < 1e-9);
  for (const row of rows) assert.ok(row.efficiency > 0 && row.efficiency <= 1, `${row.efficiency}`);
});

test('strategy 3 balances better than random tokens for the same membership size (Dynamo Figure 8)', () => {
  const rows = loadBalanceTable({ ...paperLoadBalanceOptions, tokensPerNode: [8], strategy3Partitions: [256], trials: 10 });
  const [one, two, three] = rows;
  assert.ok(three!.membershipEntries <= one!.membershipEntries + 16);
  assert.ok(three!.efficiency > one!.efficiency + 0.1, `strategy 3 ${three!.efficiency} vs strategy 1 ${one!.efficiency}`);
  assert.ok(three!.efficiency > two!.efficiency + 0.1, `strategy 3 ${three!.efficiency} vs strategy 2 ${two!.efficiency}`);
  assert.ok(three!.efficiency > 0.9);
});

test('versions are counted per successful client get, 4 and more together, not-found apart', () => {
  const get = (siblings: number, client = 'c1', outcome: HistoryEntry['outcome'] = 'ok'): HistoryEntry => ({
    id: 1,
    client,
    node: 'n1',
    kind: 'get',
    bucket: 'b',
    key: 'k',
    quorum: 2,
    invokedMs: 0,
    outcome,
    got: siblings === 0 ? null : { siblings: Array.from({ length: siblings }, (_, i) => ({ dot: ['a', i + 1] as const, label: `w${i}`, deleted: false })), context: { clock: [], dots: [] } },
  });
  const counted = countVersions([get(1), get(1), get(2), get(3), get(5), get(4), get(0), get(2, 'repair'), get(1, 'c1', 'failed')]);
  assert.deepEqual(counted, { gets: 7, notFound: 1, byVersions: [2, 1, 1, 2] });
});

test('concurrent writers to a few hot keys make gets see more versions than writers spread over many keys', () => {
  const options = { durationMs: 3_000, seed: 5 };
  const spread = versionsRow({ name: 'spread', clientsCount: 8, keysCount: 500, hotKeyShare: 0 }, options);
  const hot = versionsRow({ name: 'hot', clientsCount: 8, keysCount: 2, hotKeyShare: 0.5 }, options);
  assert.ok(spread.checked && hot.checked, 'the runs pass their checkers');
  const oneVersionShare = (row: typeof spread): number => row.byVersions[0] / (row.gets - row.notFound);
  assert.ok(oneVersionShare(spread) > 0.99, `spread: ${oneVersionShare(spread)}`);
  assert.ok(oneVersionShare(hot) < oneVersionShare(spread) - 0.05, `hot: ${oneVersionShare(hot)}`);
});
