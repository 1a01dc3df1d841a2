/**
 * A small seeded PRNG (xoshiro128**, seeded through splitmix32) so a benchmark's request stream
 * — which operation, which key, which value — is the same on every run with the same seed.
 * YCSB uses ThreadLocalRandom; any uniform source works for its generators, but ours must be
 * reproducible. Not cryptographic.
 */
export interface Random {
  /** Uniform in [0, 1) with 53 random bits, like Java's `nextDouble`. */
  nextDouble(): number;
  /** Uniform 32-bit unsigned integer. */
  nextUint32(): number;
  /** Uniform integer in [0, bound). */
  nextInt(bound: number): number;
}

const twoPow26 = 67108864;
const twoPow53 = 9007199254740992;

function splitmix32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export class Xoshiro128 implements Random {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: number) {
    const seeder = splitmix32(seed);
    this.s0 = seeder();
    this.s1 = seeder();
    this.s2 = seeder();
    this.s3 = seeder();
    // The all-zero state is the one state xoshiro can never leave.
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  nextDouble(): number {
    const high = this.nextUint32() >>> 5; // 27 bits
    const low = this.nextUint32() >>> 6; // 26 bits
    return (high * twoPow26 + low) / twoPow53;
  }

  nextInt(bound: number): number {
    return Math.floor(this.nextDouble() * bound);
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
