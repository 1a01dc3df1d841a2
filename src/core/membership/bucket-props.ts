/**
 * Bucket properties set while the cluster runs (`PUT /v1/buckets/{bucket}`, issue 12 §7), kept in
 * the ring view so that gossip spreads them and every node persists them with its view (Dynamo
 * §4.8.1: membership and placement are gossiped; Riak gossips bucket properties in its ring the
 * same way). A bucket without an entry has the properties of the node's cluster config.
 *
 * Each bucket is a last-writer-wins register ordered by a Lamport counter, not a wall clock: a
 * setting is one past the highest this node has seen for the bucket, so a setting made after
 * another was seen always wins, and two made concurrently on different nodes are ordered by the
 * name of the node that made them, then by content — the same on every node. Ahead of all that
 * comes the stamp of the last change of n a setting carries (or saw): n changes only once its
 * bucket was found empty, so a concurrent setting that never saw the change — one of r, say, on
 * a node that still had the old n — must not bring the old n back over keys written with the
 * new one; it loses instead, as a concurrent setting may in any register. The merge is a join
 * (commutative, associative, idempotent: bucket-props.test.ts), independent of the ring's
 * commits, so a bucket may be set during a membership change and the two never interfere.
 */
import { KvorumError } from '../errors.ts';
import type { BucketProps } from '../limits.ts';
import { bucketProblem, validateBucketProps } from '../validate.ts';
import { describeValue } from '../version/describe-value.ts';
import { nodeNameProblem } from './member-fields.ts';
import { compareCodeUnits } from './view.ts';

/**
 * Buckets with properties of their own that a view may hold. The view is gossiped every second
 * and written to disk on every change; an entry takes about 120 bytes, so this many keep it near
 * 120 KiB. Buckets without an entry cost nothing: they take the config's default.
 */
export const bucketEntriesCountMax = 1024;
/** A setting's counter: one per change of one bucket, far below anything a cluster reaches. */
export const bucketVersionMax = 2 ** 40;

export interface BucketEntry {
  readonly bucket: string;
  readonly props: BucketProps;
  /** Lamport counter of this bucket's settings. */
  readonly version: number;
  /** The node that made this setting: breaks ties between concurrent settings. */
  readonly changedBy: string;
  /**
   * The `version` and `changedBy` of the setting that last changed n, carried by every later
   * one; absent while n was never changed at run time. Settings are ordered by it first.
   */
  readonly nVersion?: number;
  readonly nChangedBy?: string;
}

/** Orders two settings of one bucket: counter, then maker, then content; 0 only for the same setting. */
export function compareBucketEntries(a: BucketEntry, b: BucketEntry): number {
  if ((a.nVersion ?? 0) !== (b.nVersion ?? 0)) return (a.nVersion ?? 0) - (b.nVersion ?? 0);
  if ((a.nChangedBy ?? '') !== (b.nChangedBy ?? '')) return compareCodeUnits(a.nChangedBy ?? '', b.nChangedBy ?? '');
  if (a.version !== b.version) return a.version - b.version;
  if (a.changedBy !== b.changedBy) return compareCodeUnits(a.changedBy, b.changedBy);
  return compareCodeUnits(propsContent(a.props), propsContent(b.props));
}

/** The props in one fixed key order, so that nodes compare them alike. */
function propsContent(props: BucketProps): string {
  const { n, r, w, resolution, pr, pw, durability } = props;
  return JSON.stringify([n, r, w, resolution, pr, pw, durability]);
}

/** Both lists' buckets, each with the winning setting, sorted by bucket name. */
export function mergeBucketEntries(a: readonly BucketEntry[], b: readonly BucketEntry[]): readonly BucketEntry[] {
  if (a === b || b.length === 0) return a;
  if (a.length === 0) return b;
  const merged: BucketEntry[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const left = a[i];
    const right = b[j];
    const order = left === undefined ? 1 : right === undefined ? -1 : compareCodeUnits(left.bucket, right.bucket);
    if (order < 0) {
      merged.push(left!);
      i++;
    } else if (order > 0) {
      merged.push(right!);
      j++;
    } else {
      merged.push(compareBucketEntries(left!, right!) >= 0 ? left! : right!);
      i++;
      j++;
    }
  }
  return sameBucketEntries(merged, a) ? a : sameBucketEntries(merged, b) ? b : merged;
}

export function sameBucketEntries(a: readonly BucketEntry[], b: readonly BucketEntry[]): boolean {
  return a === b || (a.length === b.length && a.every((entry, i) => compareBucketEntries(entry, b[i]!) === 0 && entry.bucket === b[i]!.bucket));
}

/**
 * The entries with `bucket` set to `props` by `by`: one past the bucket's counter. `baseN` is the
 * n the setting was made over (the bucket's entry's, else the config's): a setting of another n
 * stamps itself as the last change of n, any other carries the stamp it saw. Throws
 * `bad_bucket_props` when a new bucket would pass bucketEntriesCountMax.
 */
export function setBucketEntry(entries: readonly BucketEntry[], bucket: string, props: BucketProps, by: string, baseN = props.n): readonly BucketEntry[] {
  const current = entries.find((entry) => entry.bucket === bucket);
  if (current === undefined && entries.length >= bucketEntriesCountMax) {
    throw new KvorumError('bad_bucket_props', `at most ${bucketEntriesCountMax} buckets may have properties of their own; the others take the cluster's default`, { bucketEntriesCountMax });
  }
  const version = (current?.version ?? 0) + 1;
  const nChanged = props.n !== (current?.props.n ?? baseN);
  const nStamp = nChanged ? { nVersion: version, nChangedBy: by } : current?.nVersion === undefined ? {} : { nVersion: current.nVersion, nChangedBy: current.nChangedBy! };
  const entry: BucketEntry = { bucket, props, version, changedBy: by, ...nStamp };
  return [...entries.filter((other) => other.bucket !== bucket), entry].sort((x, y) => compareCodeUnits(x.bucket, y.bucket));
}

/** The properties a client may set; any other field is refused. */
export const settableBucketFields = ['n', 'r', 'w', 'pr', 'pw', 'resolution', 'durability'] as const;

/**
 * What a bucket's properties become when a client sets `change` (any subset of the settable
 * fields) over `current`: validated as the config's are (validate.ts), and with `n` at most
 * `ringN`, the largest N the ring was claimed for — replicas beyond it would not be on distinct
 * nodes by construction, and the stray sweep, which hands off copies outside that N, would drop
 * them (stray-sweeper.ts). Throws `bad_bucket_props` naming the field.
 */
export function changedBucketProps(current: BucketProps, change: unknown, ringN: number): BucketProps {
  if (typeof change !== 'object' || change === null || Array.isArray(change)) throw new KvorumError('bad_bucket_props', 'expected a JSON object of bucket properties');
  const fields = change as Record<string, unknown>;
  for (const name of Object.keys(fields)) {
    if (!(settableBucketFields as readonly string[]).includes(name)) throw new KvorumError('bad_bucket_props', `unknown bucket property ${JSON.stringify(name.slice(0, 40))} (settable: ${settableBucketFields.join(', ')})`);
  }
  const props = validateBucketProps(fields as Partial<BucketProps>, current);
  if (props.n > ringN) {
    throw new KvorumError('bad_bucket_props', `n must be at most ${ringN}, the largest N the ring was made for (the largest n of the cluster config's buckets)`, { ringN });
  }
  return props;
}

/** Why `value` is not a list of bucket entries a view may hold (from a peer or a disk), or null. */
export function bucketEntriesProblem(value: unknown): string | null {
  if (!Array.isArray(value) || value.length > bucketEntriesCountMax) return `buckets must be an array of at most ${bucketEntriesCountMax} entries`;
  let previous: string | null = null;
  for (const entry of value as unknown[]) {
    const problem = bucketEntryProblem(entry);
    if (problem !== null) return problem;
    const { bucket } = entry as BucketEntry;
    if (previous !== null && compareCodeUnits(previous, bucket) >= 0) return `buckets must be sorted by name, each once (${describeValue(bucket)} after ${describeValue(previous)})`;
    previous = bucket;
  }
  return null;
}

function bucketEntryProblem(value: unknown): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return `bucket entry must be an object, got ${describeValue(value)}`;
  const { bucket, props, version, changedBy } = value as Record<string, unknown>;
  const nameProblem = bucketProblem(bucket);
  if (nameProblem !== null) return `bucket entry: ${nameProblem}`;
  if (!Number.isSafeInteger(version) || (version as number) < 1 || (version as number) > bucketVersionMax) return `bucket ${bucket as string}: version must be an integer from 1 to 2^40, got ${describeValue(version)}`;
  const makerProblem = nodeNameProblem(changedBy);
  if (makerProblem !== null) return `bucket ${bucket as string}: changedBy: ${makerProblem}`;
  const { nVersion, nChangedBy } = value as Record<string, unknown>;
  if (nVersion !== undefined || nChangedBy !== undefined) {
    if (!Number.isSafeInteger(nVersion) || (nVersion as number) < 1 || (nVersion as number) > (version as number)) return `bucket ${bucket as string}: nVersion must be an integer from 1 to its version, got ${describeValue(nVersion)}`;
    const nMakerProblem = nodeNameProblem(nChangedBy);
    if (nMakerProblem !== null) return `bucket ${bucket as string}: nChangedBy: ${nMakerProblem}`;
  }
  if (typeof props !== 'object' || props === null || Array.isArray(props)) return `bucket ${bucket as string}: props must be an object`;
  const keys = Object.keys(props);
  const expected = ['n', 'r', 'w', 'resolution', 'pr', 'pw', 'durability'];
  if (keys.length !== expected.length || !expected.every((key) => keys.includes(key))) return `bucket ${bucket as string}: props must have exactly ${expected.join(', ')}`;
  try {
    validateBucketProps(props as BucketProps, props as BucketProps);
  } catch (error) {
    if (error instanceof KvorumError) return `bucket ${bucket as string}: ${error.message}`;
    throw error;
  }
  return null;
}
