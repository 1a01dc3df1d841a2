/**
 * YCSB's ZipfianGenerator: integers in [min, max], item i (0-based from min) drawn with
 * probability proportional to 1/(i+1)^θ, using the method of Gray et al., "Quickly Generating
 * Billion-Record Synthetic Databases" (SIGMOD 1994). Ported line by line from
 * site.ycsb.generator.ZipfianGenerator (the fixed item count path: the benchmark never grows the
 * key space while it runs). Rank 0 is the most popular item.
 */
import type { Random } from './prng.ts';

/** YCSB's `ZIPFIAN_CONSTANT`. */
export const zipfianConstantDefault = 0.99;

/** ζ(n, θ) = Σ_{i=1..n} 1/i^θ, as YCSB's `zetastatic(0, n, theta, 0)`. O(n): precompute once. */
export function zeta(itemCount: number, theta: number): number {
  let sum = 0;
  for (let i = 0; i < itemCount; i++) sum += 1 / Math.pow(i + 1, theta);
  return sum;
}

export class ZipfianGenerator {
  private readonly itemCount: number;
  private readonly alpha: number;
  private readonly zetan: number;
  private readonly eta: number;
  private readonly halfPowTheta: number;

  /**
   * @param zetan ζ(items, θ) if already known (YCSB passes a precomputed constant for its
   *   10^10-item scrambled generator, where summing would take minutes).
   */
  constructor(
    private readonly min: number,
    max: number,
    private readonly random: Random,
    private readonly theta: number = zipfianConstantDefault,
    zetan?: number,
  ) {
    this.itemCount = max - min + 1;
    const zeta2theta = zeta(2, theta);
    this.alpha = 1 / (1 - theta);
    this.zetan = zetan ?? zeta(this.itemCount, theta);
    this.eta = (1 - Math.pow(2 / this.itemCount, 1 - theta)) / (1 - zeta2theta / this.zetan);
    this.halfPowTheta = Math.pow(0.5, theta);
  }

  /** Gray's inversion: exact for the two most popular items, a continuous approximation after. */
  nextValue(): number {
    const u = this.random.nextDouble();
    const uz = u * this.zetan;
    if (uz < 1) return this.min;
    if (uz < 1 + this.halfPowTheta) return this.min + 1;
    return this.min + Math.floor(this.itemCount * Math.pow(this.eta * u - this.eta + 1, this.alpha));
  }

  /** Probability of rank i in the exact Zipf law this generator approximates (for tests, reports). */
  theoreticalProbability(rank: number): number {
    return 1 / Math.pow(rank + 1, this.theta) / this.zetan;
  }
}
