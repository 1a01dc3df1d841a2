/**
 * The simulator under `npm test`: a bounded number of seeds (small clusters, two simulated
 * seconds each) must all pass every checker. `npm run sim -- --seeds 1000` runs more. A seed
 * that fails here is a bug to fix, never a seed to skip: its report says how to replay it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runSeed, type RunOptions } from './run.ts';

function runSeeds(first: number, count: number, options: Partial<Omit<RunOptions, 'seed'>> = {}): void {
  let operations = 0;
  let acknowledged = 0;
  let faults = 0;
  for (let seed = first; seed < first + count; seed++) {
    const result = runSeed({ seed, ...options });
    assert.ok(result.ok, result.report);
    operations += result.stats.operations;
    acknowledged += result.stats.ok;
    faults += result.faults.length;
  }
  // The runs did something: many operations, most acknowledged, and faults to survive.
  assert.ok(operations > count * 100, `${operations} operations`);
  assert.ok(acknowledged > operations / 2, `${acknowledged} of ${operations} acknowledged`);
  assert.ok(faults > count, `${faults} faults`);
}

test('5 nodes, every fault kind: seeds 1..300 pass every checker', () => {
  runSeeds(1, 300);
});

test('3 nodes (every node a replica of every key), two wipes allowed: seeds 1001..1100 pass', () => {
  runSeeds(1001, 100, { nodesCount: 3, wipesMax: 2, faultsMax: 6 });
});

test('7 nodes, 32 partitions, more contention: seeds 2001..2060 pass', () => {
  runSeeds(2001, 60, { nodesCount: 7, partitionCount: 32, clientsCount: 6, keysCount: 3, faultsMax: 6 });
});

// The default bucket is `one` (the runs above); the other durability modes, each held to its own
// promise (docs/durability.md): a crash loses what no flush committed.
test('durability sync, every fault kind: seeds 3001..3150 pass', () => {
  runSeeds(3001, 150, { durability: 'sync' });
});

test('durability buffered, every fault kind: seeds 4001..4150 pass', () => {
  runSeeds(4001, 150, { durability: 'buffered' });
});

// Every repair path on its own (issue 13 §2; docs/simulation.md): convergence must come from it alone.
test('anti-entropy alone (no read repair, no hints): seeds 5001..5060 pass', () => {
  runSeeds(5001, 60, { convergeBy: 'antiEntropy' });
});

test('read repair alone (no anti-entropy, no hints; R = N reads after healing): seeds 6001..6060 pass', () => {
  runSeeds(6001, 60, { convergeBy: 'readRepair' });
});

test('hinted handoff alone (no anti-entropy, no read repair; every hint reaches its owner): seeds 7001..7060 pass', () => {
  runSeeds(7001, 60, { convergeBy: 'handoff' });
});
