/**
 * Tombstone collection settings (docs/handoff.md, "Tombstones"), each with its unit last. The
 * simulator shortens the times; the real runtime keeps these.
 */
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
   * After a round removed tombstones here, copies of them read elsewhere before that replica's
   * own removal are dropped for this long (collected.ts): a round's time bound, since such a copy
   * travels in a repair of the round's time. Later, one comes from a replica that kept the
   * tombstone, and is taken, for a later round to collect everywhere.
   */
  readonly removedCopiesWindowMs: number;
  /**
   * A replica read by a coordinator whose epoch is ahead of its own waits this long, at most, for
   * the round's fence to reach it (fence-waits.ts): a fence message's time, and a fence's reads.
   */
  readonly readFenceWaitMs: number;
}

export const defaultTombstoneSettings: TombstoneSettings = {
  enabled: true,
  roundIntervalMs: 1_000,
  scanIntervalMs: 250,
  roundTimeoutMs: 5_000,
  scanEntriesMax: 128,
  epochsQueryIntervalMs: 200,
  removedCopiesWindowMs: 5_000,
  readFenceWaitMs: 100,
};
