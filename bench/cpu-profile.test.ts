import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { summarize, type CpuProfile } from './cpu-profile.ts';

const frame = (functionName: string, url = 'file:///repo/src/core/node.ts', lineNumber = 9) => ({ functionName, url, lineNumber });

/** root → outer → inner (which recurses into itself once), root → (idle); samples 10 µs apart. */
function profile(samples: readonly number[], startTime = 0): CpuProfile {
  return {
    nodes: [
      { id: 1, callFrame: frame('(root)', ''), children: [2, 4] },
      { id: 2, callFrame: frame('outer'), children: [3] },
      { id: 3, callFrame: frame('inner', 'file:///repo/node_modules/msgpackr/pack.js', 0), children: [5] },
      { id: 4, callFrame: frame('(idle)', '') },
      { id: 5, callFrame: frame('inner', 'file:///repo/node_modules/msgpackr/pack.js', 0) },
    ],
    startTime,
    endTime: startTime + samples.length * 10,
    samples,
    timeDeltas: samples.map(() => 10),
  };
}

describe('cpu-profile summarize', () => {
  test('self time by function and owner, inclusive time once per function, idle left out', () => {
    // Each sample counts for the time until the next one; the last counts for none.
    const summary = summarize([profile([2, 3, 5, 4, 3, 2])]);
    assert.equal(summary.totalMicros, 40);
    assert.equal(summary.selfByFunction.get('outer  src/core/node.ts:10'), 10);
    assert.equal(summary.selfByFunction.get('inner  npm:msgpackr:1'), 30);
    assert.equal(summary.selfByOwner.get('npm:msgpackr'), 30);
    assert.equal(summary.inclusiveByFunction.get('outer  src/core/node.ts:10'), 40);
    assert.equal(summary.inclusiveByFunction.get('inner  npm:msgpackr:1'), 30, 'a recursion counts once');
    assert.equal([...summary.selfByFunction.keys()].some((name) => name.startsWith('(idle)')), false);
  });

  test('a window keeps the samples between its seconds before each profile\'s end', () => {
    // 400 samples 10 µs apart: 4 ms; the window is from 3 ms to 1 ms before the end.
    const samples = Array.from({ length: 400 }, (_, i) => (i < 100 || i >= 300 ? 2 : 3));
    const whole = summarize([profile(samples, 5_000)]);
    const windowed = summarize([profile(samples, 5_000)], { fromEndS: 0.003, toEndS: 0.001 });
    assert.equal(whole.selfByFunction.get('outer  src/core/node.ts:10'), 1_990);
    assert.equal(windowed.selfByFunction.get('inner  npm:msgpackr:1'), 2_000);
    assert.equal(windowed.selfByFunction.get('outer  src/core/node.ts:10') ?? 0, 10, 'only the sample on the window\'s edge');
    assert.equal(windowed.totalMicros, 2_010);
  });

  test('profiles are summed', () => {
    const one = summarize([profile([2, 2, 2])]);
    const two = summarize([profile([2, 2, 2]), profile([2, 2, 2], 1e6)]);
    assert.equal(two.totalMicros, 2 * one.totalMicros);
  });
});
