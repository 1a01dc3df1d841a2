/**
 * Listings (core/coverage/, issue 12 §6) against the simulated cluster: once the liveness phase
 * has converged — every replica of every key agrees, no hint or stray copy is left — a listing
 * through any member, paged, must name exactly the keys whose replicas hold a live value, each
 * once, in order. (While faults run, a listing reads one replica per partition and may lag, as
 * documented; only the converged cluster has one right answer.)
 */
import { compareKeys } from '../../core/coverage/item-order.ts';
import { replicaStates } from './replicas.ts';
import type { Violation } from './violation.ts';
import type { ClientOutcome, SimWorld } from '../world.ts';

export interface ListingRun {
  readonly node: string;
  readonly pageLimit: number;
  /** The keys listed, page after page; null when a page failed (`error` says how). */
  readonly keys: readonly string[] | null;
  readonly error?: string;
}

/** Simulated time a page may take before the run gives up on it. */
const pageWaitMsMax = 30_000;

/** Lists every key of `bucket` through `node`, `pageLimit` keys a page, running the world meanwhile. */
export function listEveryKey(world: SimWorld, node: string, bucket: string, pageLimit: number): ListingRun {
  const keys: string[] = [];
  let after: string | null = null;
  for (;;) {
    let outcome: ClientOutcome | undefined;
    world.request(node, { kind: 'listKeys', bucket, after, limit: pageLimit }, (done) => (outcome = done));
    const deadline = world.nowMs + pageWaitMsMax;
    while (outcome === undefined && world.nowMs < deadline) world.runUntil(world.nowMs + 5);
    const got = outcome as ClientOutcome | undefined;
    if (got?.type !== 'result' || got.result.kind !== 'keys') {
      const error = got === undefined ? 'no answer' : got.type !== 'result' ? got.type : got.result.kind === 'error' ? `${got.result.code}: ${got.result.message}` : got.result.kind;
      return { node, pageLimit, keys: null, error };
    }
    if (got.result.keys.length > pageLimit) return { node, pageLimit, keys: null, error: `a page of ${got.result.keys.length} keys, over its limit` };
    keys.push(...got.result.keys);
    if (got.result.next === null) return { node, pageLimit, keys };
    after = got.result.next;
  }
}

export function checkListing(world: SimWorld, bucket: string, keys: readonly string[], run: ListingRun | undefined): Violation[] {
  if (run === undefined) return [];
  const violation = (message: string): Violation[] => [{ checker: 'listing', message: `listing through ${run.node}, ${run.pageLimit} keys a page: ${message}`, entryIds: [] }];
  if (run.keys === null) return violation(`failed: ${run.error}`);
  const expected = keys.filter((key) => {
    const object = replicaStates(world, bucket, key)[0]?.object ?? null;
    // A live value: a sibling that is not a tombstone (read straight from the object, not by the core's helpers).
    return object !== null && object.siblings.some((sibling) => !sibling.deleted);
  });
  expected.sort(compareKeys);
  const missing = expected.filter((key) => !run.keys!.includes(key));
  const extra = run.keys.filter((key) => !expected.includes(key));
  if (missing.length > 0 || extra.length > 0) return violation(`missing ${JSON.stringify(missing.slice(0, 10))}, not live ${JSON.stringify(extra.slice(0, 10))}`);
  if (run.keys.some((key, i) => i > 0 && compareKeys(run.keys![i - 1]!, key) >= 0)) return violation('keys out of order or listed twice');
  return [];
}
