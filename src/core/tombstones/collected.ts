/**
 * What this node's latest collection round of each partition removed here, kept so that a copy
 * of it read elsewhere before that replica's own removal does not plant it back (docs/handoff.md,
 * "Tombstones").
 *
 * A round's removals are not atomic across the replicas: each drops the tombstone when its remove
 * arrives. Between the fence and the last removal, any replica may read the tombstone at the
 * round's epoch and send it on — an anti-entropy repair, a get's read repair — and the epoch
 * fence takes it, since it was read after the fence. Landing on a replica that has already
 * dropped it, it planted the tombstone back on that one replica: the next exchange spread it to
 * the others, the next round collected it again, and meanwhile the replicas differed (the
 * simulator's 7-node shape, seed 2172: a repair of n5's, read 1 ms before its removal, landed on
 * n4 2 ms after n4's). Such a copy holds nothing the tombstone removed here had not seen, so it
 * is taken as stored and dropped.
 *
 * Only copies stamped at or below the epoch at removal, and arriving within
 * `removedCopiesWindowMs` of it, are judged (settings.ts): later, a copy comes from a replica that
 * kept the tombstone (its remove was lost, or it crashed), and is repaired back like any other,
 * for a later round to collect everywhere — dropped for good, it would leave the replicas
 * differing for ever. Kept in memory only: after a restart, a late copy may plant a tombstone back
 * as before (harmless: a later round collects it again). At most one round's removals per
 * partition (settings.ts `scanEntriesMax`).
 */
import { contextCovers } from '../version/causal-context.ts';
import type { StoredObject } from '../version/types.ts';

interface Removal {
  /** The partition's epoch here when the round's remove ran. */
  readonly epoch: number;
  /** Until when copies of what it removed are dropped. */
  readonly untilMs: number;
  /** By `bucket\0key`: the tombstone dropped. */
  readonly tombstones: Map<string, StoredObject>;
}

export class CollectedTombstones {
  private readonly byPartition = new Map<number, Removal>();

  constructor(private readonly windowMs: number) {}

  /** The tombstone of `bucket/key` was dropped here by a round, with the partition at `epoch`. */
  record(nowMs: number, partition: number, epoch: number, bucket: string, key: string, tombstone: StoredObject): void {
    let removal = this.byPartition.get(partition);
    if (removal === undefined || removal.epoch < epoch || removal.untilMs < nowMs) {
      removal = { epoch, untilMs: nowMs + this.windowMs, tombstones: new Map() };
      this.byPartition.set(partition, removal);
    }
    removal.tombstones.set(keyOf(bucket, key), tombstone);
  }

  /**
   * Whether `object`, read at `stamp`, is a copy of what this node's latest round of the
   * partition removed, or older — it holds no write that tombstone had not seen — arriving
   * while such copies are dropped.
   */
  supersedes(nowMs: number, partition: number, stamp: number, bucket: string, key: string, object: StoredObject): boolean {
    const removal = this.byPartition.get(partition);
    if (removal === undefined) return false;
    if (removal.untilMs < nowMs) {
      this.byPartition.delete(partition);
      return false;
    }
    const tombstone = removal.tombstones.get(keyOf(bucket, key));
    return tombstone !== undefined && stamp <= removal.epoch && contextCovers(tombstone.context, object.context);
  }
}

function keyOf(bucket: string, key: string): string {
  return `${bucket}\0${key}`;
}
