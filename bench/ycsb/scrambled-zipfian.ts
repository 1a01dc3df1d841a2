/**
 * YCSB's ScrambledZipfianGenerator: a zipfian draw over a huge fixed space (10^10 items, whose
 * ζ is precomputed), hashed with FNV-1a-64 and folded into [min, max]. The popularity stays
 * zipfian but the popular items are scattered over the key space instead of clustered at its
 * start — so the hot keys land on different partitions of the ring, as they would in a real
 * application. Ported from site.ycsb.generator.ScrambledZipfianGenerator.
 */
import { KvorumError } from '../../src/core/errors.ts';
import { ycsbFnvHash64 } from './fnv.ts';
import type { Random } from './prng.ts';
import { ZipfianGenerator, zipfianConstantDefault } from './zipfian.ts';

/** YCSB's `ITEM_COUNT`: the size of the underlying zipfian space. */
export const scrambledItemCount = 10_000_000_000;
/** YCSB's `ZETAN`: ζ(10^10 + 1, 0.99), precomputed by YCSB (summing it takes minutes). */
export const scrambledZetan = 26.46902820178302;

export class ScrambledZipfianGenerator {
  private readonly zipfian: ZipfianGenerator;
  private readonly itemCount: bigint;

  constructor(
    private readonly min: number,
    max: number,
    random: Random,
    theta: number = zipfianConstantDefault,
  ) {
    this.itemCount = BigInt(max - min + 1);
    // YCSB builds ZipfianGenerator(0, ITEM_COUNT, …): ITEM_COUNT + 1 items. It sums ζ for any
    // other constant, which takes minutes over 10^10 items; we refuse instead.
    if (theta !== zipfianConstantDefault) {
      throw new KvorumError('bad_config', `scrambled zipfian supports only the constant ${zipfianConstantDefault}, got ${theta}`);
    }
    this.zipfian = new ZipfianGenerator(0, scrambledItemCount, random, theta, scrambledZetan);
  }

  nextValue(): number {
    const rank = this.zipfian.nextValue();
    return this.min + Number(ycsbFnvHash64(rank) % this.itemCount);
  }

  /** Where rank r of the underlying zipfian lands (to find the hot keys in tests and reports). */
  itemOfRank(rank: number): number {
    return this.min + Number(ycsbFnvHash64(rank) % this.itemCount);
  }
}
