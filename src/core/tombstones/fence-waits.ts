/**
 * Replica reads that wait for this node's fence (docs/handoff.md, "Tombstones").
 *
 * A get's coordinator refuses a reply read before a fence it has passed (coordinator/get.ts). A
 * collection round fences each member at its own moment — the collector its own disk first,
 * before the others hear of the round — so a replica asked by a node fenced before it answered
 * from before, was refused, and the get failed R while every replica was up. So a read carries
 * the coordinator's epoch, and a replica behind it waits for its own fence — the round's fence
 * message, on its way — for at most `readFenceWaitMs` (settings.ts), then reads. Still behind,
 * it is refused and told the epoch, and asked again (coordinator/get.ts).
 *
 * Waiting, not taking the coordinator's epoch at once: a member that takes a round's epoch from
 * a peer before the round's fence reaches it refuses that fence (it is "at that epoch already",
 * and its reads since were not ordered after the fence's first read: participant.ts), and the
 * round ends with nothing removed — under steady reads of a partition, round after round.
 */
export interface FenceWait<T> {
  readonly partition: number;
  /** The coordinator's epoch: the read is served once this node's is as high. */
  readonly epoch: number;
  /** When it is served anyway. */
  readonly untilMs: number;
  readonly read: T;
}

export class FenceWaits<T> {
  private waits: FenceWait<T>[] = [];

  constructor(
    /** At most this many reads wait at once; a read beyond is served at once (and may be refused). */
    private readonly countMax: number,
  ) {}

  get size(): number {
    return this.waits.length;
  }

  /** Holds `wait` until its epoch or its time comes; false when full (serve it now). */
  park(wait: FenceWait<T>): boolean {
    if (this.waits.length >= this.countMax) return false;
    this.waits.push(wait);
    return true;
  }

  /** Takes the reads due, in the order they came: their partition has reached their epoch, or their time is up. */
  due(epochOf: (partition: number) => number, nowMs: number): T[] {
    const due: T[] = [];
    const waiting: FenceWait<T>[] = [];
    for (const wait of this.waits) {
      if (epochOf(wait.partition) >= wait.epoch || nowMs >= wait.untilMs) due.push(wait.read);
      else waiting.push(wait);
    }
    if (due.length > 0) this.waits = waiting;
    return due;
  }
}
