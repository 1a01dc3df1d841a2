/**
 * The tombstones this node's collection rounds removed here, each kept for a while so that a copy
 * of it read elsewhere before that replica's own removal does not plant it back (docs/handoff.md,
 * "Tombstones").
 *
 * A round's removals are not atomic across the replicas: each drops the tombstone when its remove
 * arrives. Between the fence and the last removal, any replica may read the tombstone at the
 * round's epoch and send it on — an anti-entropy repair, a get's read repair, a hint, a transfer
 * or stray hand-off — and the epoch fence takes it, since it was read after the fence. Landing on
 * a replica that has already dropped it, it planted the tombstone back on that one replica: the
 * next exchange spread it to the others, the next round collected it again, and meanwhile the
 * replicas differed (the simulator's 7-node shape, seed 2172: a repair of n5's, read 1 ms before
 * its removal, landed on n4 2 ms after n4's). Such a copy holds nothing the tombstone removed here
 * had not seen, so it is taken as stored and dropped.
 *
 * Each removed key is kept for `removedCopiesWindowMs` from its removal (settings.ts), whatever
 * later rounds of the partition do, and a copy arriving within it is dropped whatever epoch it was
 * read at: a replica whose remove of one round came late may be read after the next round's
 * fence, and its copy stamped after that fence is as stale. The window outlasts the slowest path
 * such a copy takes — a get's read repair goes out when the get ends, up to the longest request
 * deadline after its reads — so a copy arriving later comes from a replica that kept the
 * tombstone (its remove was lost, or it crashed), and is repaired back like any other, for a later
 * round to collect everywhere: dropped for good, it would leave the replicas differing for ever.
 *
 * Kept in memory only: after a restart, a late copy may plant a tombstone back as before
 * (harmless: a later round collects it again). At most `removedCopiesCountMax` keys at once
 * (settings.ts); past it the oldest is forgotten early, with the same harmless outcome.
 */
import { assertFailed } from '../assert.ts';
import { contextCovers } from '../version/causal-context.ts';
import type { StoredObject } from '../version/types.ts';

interface Removal {
  /** Until when copies of it are dropped. */
  readonly untilMs: number;
  /** The tombstone dropped. */
  readonly tombstone: StoredObject;
}

export class CollectedTombstones {
  /**
   * By `partition\0bucket\0key`, in the order of removal: every removal is kept for the same
   * window, so the first entry is always the next to expire (a key removed again moves to the end).
   */
  private readonly removals = new Map<string, Removal>();

  constructor(
    private readonly windowMs: number,
    private readonly countMax: number,
  ) {
    if (!(windowMs >= 0 && countMax >= 1)) assertFailed(`bad removed-copies bounds: ${windowMs} ms, ${countMax} keys`);
  }

  get size(): number {
    return this.removals.size;
  }

  /** The tombstone of `bucket/key` in `partition` was dropped here by a round at `nowMs`. */
  record(nowMs: number, partition: number, bucket: string, key: string, tombstone: StoredObject): void {
    this.purge(nowMs);
    const id = keyOf(partition, bucket, key);
    this.removals.delete(id);
    if (this.removals.size >= this.countMax) this.removals.delete(this.removals.keys().next().value!);
    this.removals.set(id, { untilMs: nowMs + this.windowMs, tombstone });
  }

  /** Forgets the removals whose window has passed. */
  purge(nowMs: number): void {
    for (const [id, removal] of this.removals) {
      if (removal.untilMs >= nowMs) return;
      this.removals.delete(id);
    }
  }

  /**
   * Whether `object` is a copy of a tombstone a round removed here within the window, or older:
   * it holds no write that tombstone had not seen.
   */
  supersedes(nowMs: number, partition: number, bucket: string, key: string, object: StoredObject): boolean {
    // Asked of every replica write: with nothing removed lately, no key to build and look up.
    if (this.removals.size === 0) return false;
    this.purge(nowMs);
    const removal = this.removals.get(keyOf(partition, bucket, key));
    return removal !== undefined && contextCovers(removal.tombstone.context, object.context);
  }
}

function keyOf(partition: number, bucket: string, key: string): string {
  return `${partition}\0${bucket}\0${key}`;
}
