import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Prng } from './prng.ts';

function draws(prng: Prng, count: number): number[] {
  return Array.from({ length: count }, () => prng.nextU32());
}

test('one seed gives one sequence, another seed another', () => {
  assert.deepEqual(draws(new Prng(42), 20), draws(new Prng(42), 20));
  assert.notDeepEqual(draws(new Prng(42), 20), draws(new Prng(43), 20));
  assert.notDeepEqual(draws(new Prng(1), 20), draws(new Prng(1 + 2 ** 32), 20), 'high bits of the seed count');
});

test('outputs are 32-bit unsigned and spread over the range', () => {
  const values = draws(new Prng(7), 10_000);
  assert.ok(values.every((v) => Number.isInteger(v) && v >= 0 && v < 2 ** 32));
  const mean = values.reduce((sum, v) => sum + v / 2 ** 32, 0) / values.length;
  assert.ok(Math.abs(mean - 0.5) < 0.02, `mean ${mean}`);
  const highHalf = values.filter((v) => v >= 2 ** 31).length;
  assert.ok(highHalf > 4_700 && highHalf < 5_300, `high half ${highHalf}`);
});

test('int stays in [min, max) and reaches both ends', () => {
  const prng = new Prng(3);
  const seen = new Set<number>();
  for (let i = 0; i < 2_000; i++) {
    const value = prng.int(-2, 3);
    assert.ok(value >= -2 && value < 3);
    seen.add(value);
  }
  assert.deepEqual([...seen].sort((a, b) => a - b), [-2, -1, 0, 1, 2]);
  assert.throws(() => prng.int(3, 3));
});

test('chance, pick, shuffled and hex behave', () => {
  const prng = new Prng(9);
  assert.equal(prng.chance(0), false);
  assert.equal(prng.chance(1), true);
  const hits = Array.from({ length: 4_000 }, () => prng.chance(0.25)).filter(Boolean).length;
  assert.ok(hits > 850 && hits < 1_150, `hits ${hits}`);
  assert.ok(['a', 'b'].includes(prng.pick(['a', 'b'])));
  assert.deepEqual(prng.shuffled([1, 2, 3, 4, 5]).sort(), [1, 2, 3, 4, 5]);
  assert.match(prng.hex(12), /^[0-9a-f]{12}$/);
  const mean = Array.from({ length: 4_000 }, () => prng.exponential(10)).reduce((sum, v) => sum + v, 0) / 4_000;
  assert.ok(mean > 9 && mean < 11, `exponential mean ${mean}`);
});

test('forks are reproducible and independent of their parent', () => {
  const a = new Prng(5);
  const b = new Prng(5);
  assert.deepEqual(draws(a.fork('network'), 10), draws(b.fork('network'), 10));
  const parent = new Prng(5);
  const forkA = parent.fork('x');
  const forkB = new Prng(5).fork('y');
  assert.notDeepEqual(draws(forkA, 10), draws(forkB, 10), 'labels give different streams');
  assert.notDeepEqual(draws(parent, 10), draws(new Prng(5).fork('x'), 10));
});
