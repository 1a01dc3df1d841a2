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
import { assertFailed } from '../assert.ts';
import { limits } from '../limits.ts';

export const tombstoneEpochsMetaName = 'tombstoneEpochs';

/**
 * The largest epoch a node takes from a peer or a disk. Each collection round raises one
 * partition's epoch by one, and a node starts at most a round a second (settings.ts): a cluster
 * of a thousand nodes would need 35 years to get here. A larger epoch is a bug or a forgery, and
 * taken as a fence it would make the partition refuse every object for good.
 */
export const epochMax = 2 ** 40;

/** One partition's epochs at a node. */
export type PartitionEpoch = readonly [partition: number, epoch: number, confirmed: number];

/** What a node's disk records (an absent record: a new disk, which does not know the epochs). */
export interface EpochsRecord {
  /** False after the node became a member again: what it knew may predate rounds it missed. */
  readonly known: boolean;
  /**
   * Whether the node was an active member when this was written. Compared at boot with the view
   * on disk: a node that crashed just after it joined again still learns the epochs anew.
   */
  readonly member: boolean;
  /** The disk has never known the epochs: it refused every object so far, so it holds none a round made stale. */
  readonly fresh: boolean;
  /**
   * Per partition, sorted, partitions at 0 left out: the epoch (the fence this node has raised)
   * and the confirmed epoch — the highest epoch of a round this node confirmed, the only rounds
   * that may have removed tombstones (collector.ts). confirmed ≤ epoch.
   */
  readonly epochs: readonly PartitionEpoch[];
}

export class PartitionEpochs {
  private readonly byPartition = new Map<number, { epoch: number; confirmed: number }>();
  /** Partitions whose copies here can no longer be handed off (`abandon`). */
  private readonly abandoned = new Set<number>();
  private knownNow: boolean;
  private memberNow: boolean;
  /** Never learned the epochs (EpochsRecord `fresh`): the disk holds nothing a missed round made stale. */
  private newDiskNow: boolean;

  constructor(record: EpochsRecord | null) {
    this.knownNow = record?.known ?? false;
    this.memberNow = record?.member ?? false;
    this.newDiskNow = record?.fresh ?? true;
    for (const [partition, epoch, confirmed] of record?.epochs ?? []) this.byPartition.set(partition, { epoch, confirmed });
  }

  /** Whether this node knows the epochs (its disk recorded them, or a peer told it). */
  get known(): boolean {
    return this.knownNow;
  }

  get newDisk(): boolean {
    return this.newDiskNow;
  }

  /** Whether the node was an active member when the epochs were last recorded. */
  get member(): boolean {
    return this.memberNow;
  }

  set member(member: boolean) {
    this.memberNow = member;
  }

  /**
   * The partitions of a peer's record where this node missed a round that may have removed
   * (its fence is below the peer's confirmed epoch). A disk that is not new may still hold old
   * versions of what such a round removed.
   */
  missedIn(epochs: readonly PartitionEpoch[]): number[] {
    return epochs.filter(([partition, , confirmed]) => this.of(partition) < confirmed).map(([partition]) => partition);
  }

  of(partition: number): number {
    return this.byPartition.get(partition)?.epoch ?? 0;
  }

  confirmedOf(partition: number): number {
    return this.byPartition.get(partition)?.confirmed ?? 0;
  }

  /** Whether objects stamped `stamp` for `partition` must be refused here. */
  refuses(partition: number, stamp: number): boolean {
    return !this.knownNow || stamp < this.of(partition);
  }

  /** Raises `partition` to `epoch` (never lowers it); true when it changed. */
  raise(partition: number, epoch: number): boolean {
    if (!(Number.isSafeInteger(epoch) && epoch >= 0)) assertFailed(`bad partition epoch ${epoch}`);
    if (epoch <= this.of(partition)) return false;
    this.byPartition.set(partition, { epoch, confirmed: this.confirmedOf(partition) });
    return true;
  }

  /** This node confirmed the round of `epoch` (it holds that epoch): a round that may remove. */
  confirm(partition: number, epoch: number): void {
    if (!(epoch <= this.of(partition))) assertFailed(`confirming epoch ${epoch} above the fence ${this.of(partition)}`);
    if (epoch > this.confirmedOf(partition)) this.byPartition.set(partition, { epoch: this.of(partition), confirmed: epoch });
  }

  /**
   * An active member takes a peer's epochs for a partition (epoch-sync.ts says why that is safe
   * for an active member only). True when its fence rose.
   */
  catchUp([partition, epoch, confirmed]: PartitionEpoch): boolean {
    if (!this.knownNow) return false;
    const raised = this.raise(partition, epoch);
    if (confirmed > this.confirmedOf(partition)) this.confirm(partition, confirmed);
    return raised;
  }

  /** Takes what a peer that knows the epochs reported (the highest of each), and knows from now on. */
  learn(epochs: readonly PartitionEpoch[]): void {
    for (const [partition, epoch, confirmed] of epochs) {
      this.raise(partition, epoch); // confirmed ≤ epoch (epochsProblem), so it may be confirmed now
      if (confirmed > this.confirmedOf(partition)) this.confirm(partition, confirmed);
    }
    this.knownNow = true;
    this.newDiskNow = false; // from now on it takes objects
  }

  /**
   * A node that is not an active member learned that it is behind a round of `partition`: its
   * copies there would be stamped below that round for good and refused everywhere, so it drops
   * them instead of handing them off (the stray sweeper and hinted handoff ask `isAbandoned`).
   * They are leftovers — a node leaves only once its partitions have moved, and what reached it
   * later was passed on — superseded or held by the replicas in all but a double fault.
   */
  abandon(partition: number): void {
    this.abandoned.add(partition);
  }

  /** A member again: what it holds from now on is fenced by every round (its old copies were dealt with when it learned). */
  clearAbandoned(): void {
    this.abandoned.clear();
  }

  isAbandoned(partition: number): boolean {
    return this.abandoned.has(partition);
  }

  /** Rounds may have run without this node (it was not a member): learn again before taking objects. */
  forget(): void {
    this.knownNow = false;
  }

  /** Known without a peer's word: every member's disk is as new as this one (a new cluster). */
  startFresh(): void {
    this.knownNow = true;
    this.newDiskNow = false;
  }

  /** The epoch of each partition now, frozen (a later raise does not change it). */
  snapshot(): (partition: number) => number {
    const epochs = new Map([...this.byPartition].map(([partition, { epoch }]) => [partition, epoch]));
    return (partition) => epochs.get(partition) ?? 0;
  }

  /** The epochs of `partition`, as a peer is told them. */
  entryOf(partition: number): PartitionEpoch {
    return [partition, this.of(partition), this.confirmedOf(partition)];
  }

  record(): EpochsRecord {
    const partitions = [...this.byPartition.keys()].filter((partition) => this.of(partition) > 0).sort((a, b) => a - b);
    return { known: this.knownNow, member: this.memberNow, fresh: this.newDiskNow, epochs: partitions.map((partition) => this.entryOf(partition)) };
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
    const { known, member, fresh, epochs } = parsed as Record<string, unknown>;
    if (typeof known !== 'boolean' || typeof member !== 'boolean' || typeof fresh !== 'boolean' || epochsProblem(epochs) !== null) return null;
    return { known, member, fresh, epochs: epochs as PartitionEpoch[] };
  } catch {
    return null;
  }
}

/** Why `value` is not a list of [partition, epoch, confirmed] entries, or null. */
export function epochsProblem(value: unknown): string | null {
  if (!Array.isArray(value) || value.length > limits.partitionCountMax) return `epochs must be an array of at most ${limits.partitionCountMax}`;
  for (const entry of value as unknown[]) {
    if (!Array.isArray(entry) || entry.length !== 3) return 'an epoch entry must be [partition, epoch, confirmed]';
    const [partition, epoch, confirmed] = entry as unknown[];
    if (!Number.isSafeInteger(partition) || (partition as number) < 0 || (partition as number) >= limits.partitionCountMax) return 'an epoch partition must be an integer below partitionCountMax';
    if (!Number.isSafeInteger(epoch) || (epoch as number) < 0 || (epoch as number) > epochMax) return 'an epoch must be an integer from 0 to 2^40';
    if (!Number.isSafeInteger(confirmed) || (confirmed as number) < 0 || (confirmed as number) > (epoch as number)) return 'a confirmed epoch must be an integer from 0 to the epoch';
  }
  return null;
}
