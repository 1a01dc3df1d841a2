/** What both sides of an exchange share: the node, its trees, its scanner and settings. */
import { preferenceList } from '../ring/ring.ts';
import type { TransferEntry } from '../messages.ts';
import type { BackgroundBudget } from './budget.ts';
import type { AntiEntropyHost } from './host.ts';
import { objectBytes } from './object-digest.ts';
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
 * Sends `entries` (read at partition epoch `stamp`) to `peer` as aaeRepair messages, a new message whenever one reaches its object
 * or byte limit, and charges them to the background budget.
 */
export function sendRepairs(context: ExchangeContext, peer: string, opId: number, partition: number, entries: readonly TransferEntry[], stamp: number): void {
  const { host, settings, budget } = context;
  let batch: TransferEntry[] = [];
  let batchBytes = 0;
  const flush = (): void => {
    if (batch.length === 0) return;
    host.send(peer, { kind: 'aaeRepair', opId, partition, objects: batch, stamp });
    host.count('aae.keysRepaired', batch.length);
    budget.charge(batch.length, batchBytes);
    batch = [];
    batchBytes = 0;
  };
  for (const entry of entries) {
    batch.push(entry);
    batchBytes += objectBytes(entry.object);
    if (batch.length >= aaeRepairObjectsMax || batchBytes >= settings.repairMessageBytesMax) flush();
  }
  flush();
}
