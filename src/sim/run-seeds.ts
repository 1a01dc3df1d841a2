/**
 * Runs a bounded range of seeds for a test and asserts every one passes every checker, and that
 * the runs did something (seeds.test.ts, repair-modes.test.ts). A seed that fails is a bug to
 * fix, never a seed to skip: the assertion message is its report, with the replay command.
 */
import assert from 'node:assert/strict';
import { runSeed, type RunOptions } from './run.ts';

export function runSeeds(first: number, count: number, options: Partial<Omit<RunOptions, 'seed'>> = {}): void {
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
