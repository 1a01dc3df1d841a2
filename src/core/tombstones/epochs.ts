/**
 * Partition epochs: the fence that makes collecting a tombstone safe (docs/handoff.md,
 * "Tombstones").
 *
 * A deleted key's tombstone can only go once no copy of an older version can ever come back —
 * and copies travel in messages that a network may deliver arbitrarily late (a read repair
 * planned before the delete, a transfer chunk read before it, a duplicate). So every message that
 * carries objects carries a *stamp*: the epoch of the key's partition at the node that read the
 * objects, when it issued the read. A collection round raises the partition's epoch on every
 * member before any replica removes anything, and a node refuses objects stamped below its own
 * epoch. Anything read before the round is refused everywhere; anything read after it is the
 * tombstone or newer (tombstones/participant.ts explains the order that guarantees it).
 *
 * A node whose disk is new does not know the epochs, and would take a late old version for new:
 * until it has learned them from a peer (tombstones/epoch-sync.ts) it refuses every object sent
 * to it (`known` false).
 */
import { assert } from '../assert.ts';

export const tombstoneEpochsMetaName = 'tombstoneEpochs';

/** What a node's disk records (an absent record: a new disk, which does not know the epochs). */
export interface EpochsRecord {
  /** False after the node became a member again: what it knew may predate rounds it missed. */
  readonly known: boolean;
  /** [partition, epoch] with epoch ≥ 1, sorted by partition; partitions at 0 are left out. */
  readonly epochs: readonly (readonly [partition: number, epoch: number])[];
}

export class PartitionEpochs {
  private readonly byPartition = new Map<number, number>();
  private knownNow: boolean;

  constructor(record: EpochsRecord | null) {
    this.knownNow = record?.known ?? false;
    for (const [partition, epoch] of record?.epochs ?? []) this.byPartition.set(partition, epoch);
  }

  /** Whether this node knows the epochs (its disk recorded them, or a peer told it). */
  get known(): boolean {
    return this.knownNow;
  }

  of(partition: number): number {
    return this.byPartition.get(partition) ?? 0;
  }

  /** Whether objects stamped `stamp` for `partition` must be refused here. */
  refuses(partition: number, stamp: number): boolean {
    return !this.knownNow || stamp < this.of(partition);
  }

  /** Raises `partition` to `epoch` (never lowers it); true when it changed. */
  raise(partition: number, epoch: number): boolean {
    assert(Number.isSafeInteger(epoch) && epoch >= 0, `bad partition epoch ${epoch}`);
    if (epoch <= this.of(partition)) return false;
    this.byPartition.set(partition, epoch);
    return true;
  }

  /** Takes what a peer that knows the epochs reported: the highest of each, and known from now on. */
  learn(epochs: EpochsRecord['epochs']): void {
    for (const [partition, epoch] of epochs) this.raise(partition, epoch);
    this.knownNow = true;
  }

  /** Rounds may have run without this node (it was not a member): learn again before taking objects. */
  forget(): void {
    this.knownNow = false;
  }

  /** Known without a peer's word: every member's disk is as new as this one (a new cluster). */
  startFresh(): void {
    this.knownNow = true;
  }

  record(): EpochsRecord {
    const epochs = [...this.byPartition].filter(([, epoch]) => epoch > 0).sort((a, b) => a[0] - b[0]);
    return { known: this.knownNow, epochs };
  }
}

export function encodeEpochsRecord(record: EpochsRecord): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(record));
}

/** null for a disk that never recorded the epochs, or a record this code did not write. */
export function decodeEpochsRecord(bytes: Uint8Array | undefined): EpochsRecord | null {
  if (bytes === undefined) return null;
  try {
    const parsed: unknown = JSON.parse(new TextDecoder().decode(bytes));
    if (typeof parsed !== 'object' || parsed === null) return null;
    const { known, epochs } = parsed as Record<string, unknown>;
    if (typeof known !== 'boolean' || epochsProblem(epochs) !== null) return null;
    return { known, epochs: epochs as [number, number][] };
  } catch {
    return null;
  }
}

/** Why `value` is not a list of [partition, epoch] pairs, or null. */
export function epochsProblem(value: unknown): string | null {
  if (!Array.isArray(value)) return 'epochs must be an array';
  for (const pair of value as unknown[]) {
    if (!Array.isArray(pair) || pair.length !== 2) return 'an epoch must be [partition, epoch]';
    const [partition, epoch] = pair as unknown[];
    if (!Number.isSafeInteger(partition) || (partition as number) < 0) return 'an epoch partition must be a non-negative integer';
    if (!Number.isSafeInteger(epoch) || (epoch as number) < 0) return 'an epoch must be a non-negative integer';
  }
  return null;
}
