/** What a checker reports: which property broke, how, and the history entries that show it. */
export interface Violation {
  readonly checker: string;
  readonly message: string;
  /** The key concerned, when there is one: the report prints that key's history and replicas. */
  readonly key?: string | undefined;
  /** The key's bucket (found from the history when not given: the simulator's keys are unique across buckets). */
  readonly bucket?: string | undefined;
  /** History entries that show the problem (printed first in the report). */
  readonly entryIds: readonly number[];
}
