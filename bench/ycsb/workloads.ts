/**
 * YCSB's core workloads that a key-value store can run (D "latest" and E "scan" need insert-order
 * and range scans, which a hash-partitioned store does not offer), with their proportions from
 * YCSB's workloads/workload{a,b,c,f}, plus a write-only load. All use the zipfian request
 * distribution. Operations are chosen as YCSB's DiscreteGenerator does: one uniform draw against
 * the cumulative weights.
 */
import { KvorumError } from '../../src/core/errors.ts';
import type { Random } from './prng.ts';

export type OperationKind = 'read' | 'update' | 'readModifyWrite';
export const operationKinds: readonly OperationKind[] = ['read', 'update', 'readModifyWrite'];

export type WorkloadName = 'a' | 'b' | 'c' | 'f' | 'write';

export interface Workload {
  readonly name: WorkloadName;
  readonly title: string;
  readonly proportions: Readonly<Record<OperationKind, number>>;
}

export const workloads: Readonly<Record<WorkloadName, Workload>> = {
  a: { name: 'a', title: 'YCSB-A update heavy (50% read, 50% update)', proportions: { read: 0.5, update: 0.5, readModifyWrite: 0 } },
  b: { name: 'b', title: 'YCSB-B read mostly (95% read, 5% update)', proportions: { read: 0.95, update: 0.05, readModifyWrite: 0 } },
  c: { name: 'c', title: 'YCSB-C read only', proportions: { read: 1, update: 0, readModifyWrite: 0 } },
  f: { name: 'f', title: 'YCSB-F read-modify-write (50% read, 50% RMW)', proportions: { read: 0.5, update: 0, readModifyWrite: 0.5 } },
  write: { name: 'write', title: 'write only (100% update)', proportions: { read: 0, update: 1, readModifyWrite: 0 } },
};

export const workloadNames = Object.keys(workloads) as WorkloadName[];

export function workloadByName(name: string): Workload {
  const workload = (workloads as Record<string, Workload | undefined>)[name.toLowerCase()];
  if (!workload) throw new KvorumError('bad_config', `unknown workload "${name}": expected one of ${workloadNames.join(', ')}`);
  return workload;
}

/** YCSB's DiscreteGenerator over a workload's operation proportions. */
export class OperationChooser {
  private readonly cumulative: readonly { kind: OperationKind; upTo: number }[];

  constructor(
    workload: Workload,
    private readonly random: Random,
  ) {
    let sum = 0;
    const entries: { kind: OperationKind; upTo: number }[] = [];
    for (const kind of operationKinds) {
      const weight = workload.proportions[kind];
      if (weight <= 0) continue;
      sum += weight;
      entries.push({ kind, upTo: sum });
    }
    this.cumulative = entries.map((entry) => ({ kind: entry.kind, upTo: entry.upTo / sum }));
  }

  next(): OperationKind {
    const u = this.random.nextDouble();
    for (const entry of this.cumulative) if (u < entry.upTo) return entry.kind;
    return this.cumulative[this.cumulative.length - 1]!.kind;
  }
}
