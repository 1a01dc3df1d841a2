/**
 * The simulator's only source of randomness: a small seeded generator (sfc32, Chris Doty-Humphrey's
 * "small fast counting" generator, seeded through splitmix32). Everything random in a run — latencies,
 * drops, faults, workload choices, crash outcomes — is drawn from generators derived from the
 * run's seed, so one seed replays one run exactly. `Math.random` is never used in src/sim.
 *
 * `fork(label)` derives an independent stream, so that the workload drawing one more number does
 * not shift every network latency after it: a seed's fault schedule stays the same when the
 * workload changes, which keeps a failing seed's story readable while a bug is being fixed.
 */
import { assert, assertFailed } from '../core/assert.ts';

/** One step of splitmix32: spreads a 32-bit state into a well-mixed output. */
function splitmix32(state: number): [next: number, output: number] {
  const next = (state + 0x9e3779b9) | 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return [next, (z ^ (z >>> 16)) >>> 0];
}

/** FNV-1a of a label, so that forks are named rather than numbered. */
function hashLabel(label: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) hash = Math.imul(hash ^ label.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    if (!Number.isSafeInteger(seed)) assertFailed(`seed must be a safe integer, got ${seed}`);
    // Fold the high bits in too, so seeds above 2^32 differ from their low halves.
    let state = (seed | 0) ^ Math.floor(seed / 2 ** 32);
    const words: number[] = [];
    for (let i = 0; i < 4; i++) {
      const [next, output] = splitmix32(state);
      state = next;
      words.push(output);
    }
    [this.a, this.b, this.c, this.d] = words as [number, number, number, number];
    for (let i = 0; i < 12; i++) this.nextU32(); // discard the first outputs, as sfc32 recommends
  }

  /** A uniform 32-bit unsigned integer. */
  nextU32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1), 32 bits of resolution. */
  float(): number {
    return this.nextU32() / 2 ** 32;
  }

  /** Uniform integer in [min, maxExclusive). */
  int(min: number, maxExclusive: number): number {
    if (!(Number.isInteger(min) && Number.isInteger(maxExclusive) && maxExclusive > min)) assertFailed(`bad range [${min}, ${maxExclusive})`);
    return min + Math.floor(this.float() * (maxExclusive - min));
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return p > 0 && this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    assert(items.length > 0, 'pick from an empty list');
    return items[this.int(0, items.length)]!;
  }

  /** A random subset, in the original order, each item kept with probability p. */
  subset<T>(items: readonly T[], p: number): T[] {
    return items.filter(() => this.chance(p));
  }

  /** A copy shuffled by Fisher–Yates. */
  shuffled<T>(items: readonly T[]): T[] {
    const copy = [...items];
    for (let i = copy.length - 1; i > 0; i--) {
      const j = this.int(0, i + 1);
      [copy[i], copy[j]] = [copy[j]!, copy[i]!];
    }
    return copy;
  }

  /** Exponentially distributed with the given mean (memoryless waits: think times, latency tails). */
  exponential(mean: number): number {
    return -mean * Math.log(1 - this.float());
  }

  /** `digits` lowercase hex digits (node incarnations). */
  hex(digits: number): string {
    let text = '';
    while (text.length < digits) text += this.nextU32().toString(16).padStart(8, '0');
    return text.slice(0, digits);
  }

  /** An independent generator named by `label`, derived from this one's current state. */
  fork(label: string): Prng {
    return new Prng((this.nextU32() ^ hashLabel(label)) >>> 0);
  }
}
