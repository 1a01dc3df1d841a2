/**
 * The stream of requests of one timed run: which operation (the workload's mix), which key
 * (scrambled zipfian over the loaded records), which value (from a pool). Seeded by the run's
 * seed, workload and concurrency only — not by the system — so every store is sent the same
 * stream of requests in the same order of issue.
 */
import { KeyChooser } from './ycsb/keys.ts';
import { Xoshiro128 } from './ycsb/prng.ts';
import { ValuePool, type ValueLayout } from './ycsb/values.ts';
import { OperationChooser, type OperationKind, type Workload } from './ycsb/workloads.ts';

export interface Request {
  readonly kind: OperationKind;
  readonly key: string;
  readonly value: Uint8Array;
}

export interface ValueOptions {
  readonly valueLayout: ValueLayout;
  readonly valueBytes: number;
}

/** Deterministic per-run seed from the base seed and the run's coordinates. */
export function runSeed(baseSeed: number, workload: string, concurrency: number): number {
  let hash = baseSeed >>> 0;
  for (const char of `${workload}/${concurrency}`) hash = Math.imul(hash ^ char.charCodeAt(0), 0x01000193) >>> 0;
  return hash;
}

export class RequestSource {
  private readonly operations: OperationChooser;
  private readonly keys: KeyChooser;
  private readonly values: ValuePool;

  constructor(workload: Workload, recordCount: number, seed: number, values: ValueOptions) {
    const random = new Xoshiro128(seed);
    this.operations = new OperationChooser(workload, random);
    this.keys = new KeyChooser(recordCount, random);
    this.values = new ValuePool(random, values.valueLayout, values.valueBytes);
  }

  next(): Request {
    const kind = this.operations.next();
    const key = this.keys.nextKey();
    const value = kind === 'read' ? emptyValue : this.values.next();
    return { kind, key, value };
  }
}

const emptyValue = new Uint8Array(0);
