/**
 * Every repair path on its own (issue 13 §2; docs/simulation.md), under `npm test`: a bounded
 * number of seeds of each mode must pass every checker, convergence (or, for handoff, what
 * handoff promises) coming from that path alone. `npm run sim -- --seeds 1000 --converge-by
 * MODE` runs more.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runSeeds } from './run-seeds.ts';
import { runSeed } from './run.ts';

test('anti-entropy alone (no read repair, no hints): seeds 5001..5030 pass', () => {
  runSeeds(5001, 30, { convergeBy: 'antiEntropy' });
});

test('read repair alone (no anti-entropy, no hints; R = N reads after healing): seeds 6001..6030 pass', () => {
  runSeeds(6001, 30, { convergeBy: 'readRepair' });
});

test('hinted handoff alone (no anti-entropy, no read repair; every hint reaches its owner): seeds 7001..7030 pass', () => {
  runSeeds(7001, 30, { convergeBy: 'handoff' });
});

test('seeds that once failed: 71 of anti-entropy alone (a tombstone round begun during the listing was judged half done), 219 of read repair alone (another operation\'s read in a get\'s first step taken for its own), 412 of handoff alone (a get at R = N waited on a flapping replica past its client)', () => {
  for (const [seed, convergeBy] of [[71, 'antiEntropy'], [219, 'readRepair'], [412, 'handoff']] as const) {
    const result = runSeed({ seed, convergeBy });
    assert.ok(result.ok, result.report);
  }
});
