/**
 * Tombstone collection settings (docs/handoff.md, "Tombstones"), each with its unit last. The
 * simulator shortens the times; the real runtime keeps these.
 */
import { limits } from '../limits.ts';

export interface TombstoneSettings {
  /** Collection rounds run at all (a switch for tests and the simulator's bug hunts). */
  readonly enabled: boolean;
  /** A node starts at most one round this often, across all partitions it collects. */
  readonly roundIntervalMs: number;
  /** A chunk scan that found no tombstone is followed by the next one after this. */
  readonly scanIntervalMs: number;
  /** A round whose steps have not all been answered within this ends, removing nothing. */
  readonly roundTimeoutMs: number;
  /** Keys read per round from the partition's next chunk; its tombstones are the candidates. */
  readonly scanEntriesMax: number;
  /** A node whose disk is new asks the members for the epochs this often until one knows them. */
  readonly epochsQueryIntervalMs: number;
  /**
   * After a round removed a tombstone here, copies of it read elsewhere before that replica's own
   * removal are dropped for this long (collected.ts). It must outlast the slowest path such a copy
   * takes: a get's read repair goes out when the get ends, as late as the longest request deadline
   * after its reads (limits.ts `requestTimeoutMsMax`), and the replicas' removes of one round
   * arrive up to a round's time apart. Later, a copy comes from a replica that kept the tombstone,
   * and is taken, for a later round to collect everywhere.
   */
  readonly removedCopiesWindowMs: number;
  /**
   * At most this many removed tombstones are kept for `removedCopiesWindowMs` at once (collected.ts);
   * past it the oldest is forgotten early (a late copy of it may be planted back, and collected
   * again by a later round). A round removes at most `scanEntriesMax` keys.
   */
  readonly removedCopiesCountMax: number;
  /**
   * A replica read by a coordinator whose epoch is ahead of its own waits this long, at most, for
   * the round's fence to reach it (fence-waits.ts): a fence message's time, and a fence's reads.
   */
  readonly readFenceWaitMs: number;
}

/** A round's time bound by default (`roundTimeoutMs`). */
const roundTimeoutMsDefault = 5_000;

export const defaultTombstoneSettings: TombstoneSettings = {
  enabled: true,
  roundIntervalMs: 1_000,
  scanIntervalMs: 250,
  roundTimeoutMs: roundTimeoutMsDefault,
  scanEntriesMax: 128,
  epochsQueryIntervalMs: 200,
  // The longest get, then a round's time: 65 s, at most removedCopiesCountMax keys held meanwhile.
  removedCopiesWindowMs: limits.requestTimeoutMsMax + roundTimeoutMsDefault,
  removedCopiesCountMax: 16_384,
  readFenceWaitMs: 100,
};
