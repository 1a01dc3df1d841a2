/** What both sides of an exchange share: the node, its trees, its scanner and settings. */
import { preferenceList } from '../ring/ring.ts';
import type { TransferEntry } from '../messages.ts';
import type { BackgroundBudget } from './budget.ts';
import type { AntiEntropyHost } from './host.ts';
import { objectBytes, valueBytes } from '../version/object-bytes.ts';
import type { PartitionTrees } from './partition-trees.ts';
import { aaeRepairObjectsMax } from './protocol-limits.ts';
import type { Scanner } from './scanner.ts';
import type { AntiEntropySettings } from './settings.ts';

export interface ExchangeContext {
  readonly host: AntiEntropyHost;
  readonly trees: PartitionTrees;
  readonly scanner: Scanner;
  readonly budget: BackgroundBudget;
  readonly settings: AntiEntropySettings;
}

/**
 * Whether `node` is a replica of keys of `bucket` in `partition`: only those are repaired onto
 * it, so a bucket with a smaller N is not copied to every replica of the partition.
 */
export function replicates(context: ExchangeContext, node: string, partition: number, bucket: string): boolean {
  const { host } = context;
  return preferenceList(host.ring, partition, host.replicasOf(bucket)).includes(node);
}

/**
 * The least N of the buckets whose keys both this node and `peer` replicate in `partition`: the
 * i-th and j-th nodes of the partition's walk (from 0) share the buckets with N > max(i, j).
 * They compare the trees of exactly those buckets (partition-trees.ts) and list only their keys,
 * each side by its own view of the ring. A node outside the walk shares nothing (Infinity).
 */
export function sharedNMin(context: ExchangeContext, partition: number, peer: string): number {
  const { host, settings } = context;
  const walk = preferenceList(host.ring, partition, settings.partitionReplicas);
  const mine = walk.indexOf(host.self);
  const theirs = walk.indexOf(peer);
  return mine < 0 || theirs < 0 ? Infinity : Math.max(mine, theirs) + 1;
}

/** The entries of buckets with N ≥ `nMin`: the keys an exchange compares. */
export function sharedEntries<T extends { readonly bucket: string }>(context: ExchangeContext, entries: readonly T[], nMin: number): T[] {
  return entries.filter((entry) => context.host.replicasOf(entry.bucket) >= nMin);
}

/**
 * Reads the keys named (through the per-key store queue, so each is what is stored now) and
 * sends what is stored to `peer` as aaeRepair messages once every read has answered.
 */
export function readAndSendRepairs(context: ExchangeContext, peer: string, opId: number, partition: number, keys: readonly { bucket: string; key: string }[]): void {
  const entries: TransferEntry[] = [];
  const stamp = context.host.epochOf(partition); // as the reads are issued (tombstones/epochs.ts)
  let pending = keys.length;
  for (const { bucket, key } of keys) {
    context.host.read({ partition, bucket, key }, (outcome) => {
      if (outcome.ok && outcome.object !== null) entries.push({ bucket, key, object: outcome.object });
      if (--pending === 0) sendRepairs(context, peer, opId, partition, entries, stamp);
    });
  }
}

/**
 * Sends `entries` (read at partition epoch `stamp`) to `peer` as aaeRepair messages, and charges
 * them to the background budget. A message ends before the object that would take it past its
 * object or byte limit, so it holds at most `repairMessageBytesMax` encoded bytes or one object
 * alone — which is at most `objectBytesMax`, what one frame carries (version/object-bound.ts).
 */
export function sendRepairs(context: ExchangeContext, peer: string, opId: number, partition: number, entries: readonly TransferEntry[], stamp: number): void {
  const { host, settings, budget } = context;
  let batch: TransferEntry[] = [];
  let batchBytes = 0;
  let batchValueBytes = 0;
  const flush = (): void => {
    if (batch.length === 0) return;
    host.send(peer, { kind: 'aaeRepair', opId, partition, objects: batch, stamp });
    host.count('aae.keysRepaired', batch.length);
    budget.charge(batch.length, batchValueBytes);
    batch = [];
    batchBytes = 0;
    batchValueBytes = 0;
  };
  for (const entry of entries) {
    const bytes = objectBytes(entry.object);
    if (batch.length >= aaeRepairObjectsMax || batchBytes + bytes > settings.repairMessageBytesMax) flush();
    batch.push(entry);
    batchBytes += bytes;
    batchValueBytes += valueBytes(entry.object);
  }
  flush();
}
