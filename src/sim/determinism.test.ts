import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runSeed } from './run.ts';

test('one seed replays exactly: same trace, same history, same verdict', () => {
  const options = { seed: 4242, faultsMax: 8, wipesMax: 2 };
  const first = runSeed(options);
  const second = runSeed(options);
  assert.ok(first.faults.length > 0, 'the seed draws faults');
  assert.ok(first.stats.operations > 100);
  assert.equal(first.traceDigest, second.traceDigest);
  assert.equal(first.historyDigest, second.historyDigest);
  assert.deepEqual(first.faults, second.faults);
  assert.equal(first.report, second.report);
  assert.deepEqual(first.stats, second.stats);
});

test('another seed is another run', () => {
  const a = runSeed({ seed: 1 });
  const b = runSeed({ seed: 2 });
  assert.notEqual(a.traceDigest, b.traceDigest);
  assert.notEqual(a.historyDigest, b.historyDigest);
});

test('a run does not depend on the runs before it in the same process', () => {
  const alone = runSeed({ seed: 77 });
  runSeed({ seed: 78, faultsMax: 6 });
  const after = runSeed({ seed: 77 });
  assert.equal(alone.traceDigest, after.traceDigest);
  assert.equal(alone.historyDigest, after.historyDigest);
});
