/**
 * The simulator under `npm test`: a bounded number of seeds of each cluster shape and durability
 * must all pass every checker (the repair modes are repair-modes.test.ts, so that the two files
 * run side by side). Each seed is a 1,000-key run of about 0.5 s; `npm run sim -- --seeds 1000`
 * runs more. A seed that fails here is a bug to fix, never a seed to skip.
 */
import { test } from 'node:test';
import { runSeeds } from './run-seeds.ts';

test('5 nodes, every fault mix: seeds 1..60 pass every checker', () => {
  runSeeds(1, 60);
});

test('3 nodes (every node a replica of every key), two wipes allowed: seeds 1001..1025 pass', () => {
  runSeeds(1001, 25, { nodesCount: 3, wipesMax: 2, faultsMax: 6 });
});

test('7 nodes, 32 partitions, more contention: seeds 2001..2010 pass', () => {
  runSeeds(2001, 10, { nodesCount: 7, partitionCount: 32, clientsCount: 6, keysCount: 3, faultsMax: 6 });
});

// The default bucket is `one` (the runs above); the other durability modes, each held to its own
// promise (docs/durability.md): a crash loses what no flush committed.
test('durability sync: seeds 3001..3020 pass', () => {
  runSeeds(3001, 20, { durability: 'sync' });
});

test('durability buffered: seeds 4001..4020 pass', () => {
  runSeeds(4001, 20, { durability: 'buffered' });
});
