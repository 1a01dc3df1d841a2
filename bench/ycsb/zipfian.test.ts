import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Xoshiro128 } from './prng.ts';
import { ZipfianGenerator, zeta } from './zipfian.ts';
import { ScrambledZipfianGenerator, scrambledItemCount, scrambledZetan } from './scrambled-zipfian.ts';

const samplesCount = 300_000;

function frequencies(draw: () => number, count: number): Map<number, number> {
  const seen = new Map<number, number>();
  for (let i = 0; i < count; i++) {
    const value = draw();
    seen.set(value, (seen.get(value) ?? 0) + 1);
  }
  return seen;
}

/** Four standard deviations of a binomial proportion: a correct generator fails this ~1 in 15,000 runs per check — and the seed is fixed. */
function tolerance(probability: number, count: number): number {
  return 4 * Math.sqrt((probability * (1 - probability)) / count);
}

test('zipfian: the two most popular ranks follow Zipf(0.99) exactly (Gray draws them exactly)', () => {
  const itemCount = 1000;
  const generator = new ZipfianGenerator(0, itemCount - 1, new Xoshiro128(7));
  const seen = frequencies(() => generator.nextValue(), samplesCount);
  const zetaN = zeta(itemCount, 0.99);
  for (const rank of [0, 1]) {
    const expected = 1 / Math.pow(rank + 1, 0.99) / zetaN;
    const observed = (seen.get(rank) ?? 0) / samplesCount;
    assert.ok(Math.abs(observed - expected) < tolerance(expected, samplesCount), `rank ${rank}: ${observed} vs ${expected}`);
  }
});

test("zipfian: ranks 2..9 match Gray's inversion formula, and Zipf(0.99) within Gray's known +20% at rank 2", () => {
  const itemCount = 1000;
  const theta = 0.99;
  const generator = new ZipfianGenerator(0, itemCount - 1, new Xoshiro128(11));
  const seen = frequencies(() => generator.nextValue(), samplesCount);
  // Independent derivation: Gray returns floor(n·(η·u − η + 1)^(1/(1−θ))) once u·ζ(n) ≥ 1 + 0.5^θ,
  // so rank k is returned for u in [uOf(k), uOf(k+1)) with uOf(x) = ((x/n)^(1−θ) − 1)/η + 1.
  const zetaN = zeta(itemCount, theta);
  const eta = (1 - Math.pow(2 / itemCount, 1 - theta)) / (1 - (1 + Math.pow(0.5, theta)) / zetaN);
  const uFloor = (1 + Math.pow(0.5, theta)) / zetaN;
  const uOf = (x: number): number => Math.max(uFloor, (Math.pow(x / itemCount, 1 - theta) - 1) / eta + 1);
  for (let rank = 2; rank < 10; rank++) {
    const expected = uOf(rank + 1) - uOf(rank);
    const observed = (seen.get(rank) ?? 0) / samplesCount;
    assert.ok(Math.abs(observed - expected) < tolerance(expected, samplesCount), `rank ${rank}: ${observed} vs Gray ${expected}`);
    const zipf = 1 / Math.pow(rank + 1, theta) / zetaN;
    assert.ok(observed > zipf * 0.95 && observed < zipf * 1.25, `rank ${rank}: ${observed} vs Zipf ${zipf}`);
  }
});

test('zipfian: every draw is inside [min, max]', () => {
  const generator = new ZipfianGenerator(5, 24, new Xoshiro128(3));
  for (let i = 0; i < 50_000; i++) {
    const value = generator.nextValue();
    assert.ok(Number.isInteger(value) && value >= 5 && value <= 24, `${value}`);
  }
});

test("scrambled zipfian: YCSB's precomputed ζ(10^10+1, 0.99) agrees with the series' tail estimate", () => {
  // Sum the first million terms exactly and the rest by the Euler–Maclaurin integral, so the test
  // checks the constant we copied without summing 10^10 terms.
  const head = 1_000_000;
  const theta = 0.99;
  const n = scrambledItemCount + 1;
  const tail = (Math.pow(n, 1 - theta) - Math.pow(head, 1 - theta)) / (1 - theta) + (Math.pow(n, -theta) - Math.pow(head, -theta)) / 2;
  assert.ok(Math.abs(zeta(head, theta) + tail - scrambledZetan) < 1e-3);
});

test('scrambled zipfian: the hottest item is where rank 0 hashes to, with rank 0 popularity; hot items are spread', () => {
  const itemCount = 1000;
  const generator = new ScrambledZipfianGenerator(0, itemCount - 1, new Xoshiro128(5));
  const seen = frequencies(() => generator.nextValue(), samplesCount);
  const hottest = [...seen.entries()].sort((a, b) => b[1] - a[1]);
  assert.equal(hottest[0]![0], generator.itemOfRank(0));
  const rankZero = 1 / scrambledZetan;
  const observed = hottest[0]![1] / samplesCount;
  // Rank 0 plus the share of the long tail that folds onto the same item.
  assert.ok(observed > rankZero - tolerance(rankZero, samplesCount) && observed < rankZero + 0.004, `${observed}`);
  // Unscrambled, the ten hottest items would be 0..9; scrambled, they are scattered.
  const topTen = hottest.slice(0, 10).map(([item]) => item);
  assert.ok(Math.max(...topTen) > 100, `top items ${topTen.join(',')}`);
  for (const [item] of seen) assert.ok(item >= 0 && item < itemCount);
});

test('scrambled zipfian refuses a constant whose ζ over 10^10 items it would have to sum', () => {
  assert.throws(() => new ScrambledZipfianGenerator(0, 9, new Xoshiro128(1), 0.5), /only the constant/);
});
