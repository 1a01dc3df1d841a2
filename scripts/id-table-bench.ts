/**
 * The cost of a set and a delete in a registry whose entries come and go in bursts — 1, 2, …
 * `peak` entries set, then all deleted, the peak cycling — for `IdTable` and for a `Map`.
 * Best of five passes of `process.cpuUsage`; asserts nothing. docs/benchmarks.md has its numbers.
 *
 *   node --import tsx scripts/id-table-bench.ts [--peaks 12,24,40,64,200] [--steps 2000000]
 */
import { parseArgs } from 'node:util';
import { bestNsPerStep } from './best-ns-per-step.ts';
import { IdTable } from '../src/core/id-table.ts';

const { values: flags } = parseArgs({
  options: { peaks: { type: 'string', default: '12,24,40,64,200' }, steps: { type: 'string', default: '2000000' } },
});
const peaks = flags.peaks.split(',').map(Number);
const steps = Number(flags.steps);

interface Registry {
  set(id: number, value: number): unknown;
  delete(id: number): boolean;
}

/** ns per step (a set, or a delete of the whole burst counted per entry), best of five passes. */
function nsPerStep(registry: Registry, peak: number): number {
  let next = 1;
  const live: number[] = [];
  return bestNsPerStep(5, steps, (step) => {
    if (live.length < 1 + (step % peak)) {
      live.push(next);
      registry.set(next, next++);
    } else {
      for (const id of live) registry.delete(id);
      live.length = 0;
    }
    return 0;
  });
}

console.log('peak   IdTable     Map');
for (const peak of peaks) {
  console.log(`${String(peak).padStart(4)} ${nsPerStep(new IdTable<number>(), peak).toFixed(1).padStart(6)} ns ${nsPerStep(new Map<number, number>(), peak).toFixed(1).padStart(6)} ns`);
}
