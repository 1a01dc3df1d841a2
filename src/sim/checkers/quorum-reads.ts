/**
 * Reads see what a quorum acknowledged (Dynamo §4.5: "setting R + W > N yields a quorum-like
 * system"): a get answered with R replies, after a put of the same key was acknowledged with W
 * stores and R + W > N, returns that put's version or one that descends from it — when nothing
 * could excuse a miss. A get asks only R of the N replicas (coordinator/get.ts), and any R of them
 * meet any W; one that asked a fallback in place of a merely slow primary, or trusted a stale
 * reply, would miss the write.
 *
 * Judged only where the quorum argument holds exactly: the put and the get both arrived on a
 * settled cluster whose coordinators trusted every primary of the key, every primary was up and
 * took writes at both arrivals, no fault of any kind but duplicated messages was in force from
 * the put's invocation to the get's answer (so no stand-in held a copy for a primary, and no
 * replica lost one), no delete of the key was made meanwhile (a collected tombstone leaves
 * nothing to see), and no actor of the key was pruned (a pruned context may stop naming a dot).
 */
import { faultOverlaps, type Fault } from '../faults.ts';
import type { History, HistoryEntry } from '../history.ts';
import type { PlacementRecorder, RequestArrival } from '../placement.ts';
import type { Oracle } from '../oracle.ts';
import { formatDot, type DotSet } from '../model/index.ts';
import type { VersionIndex, VersionInfo } from './versions.ts';
import type { Violation } from './violation.ts';

/** Reported gets at most: one broken read path fails many, and ten say it. */
const violationsMax = 10;

export function checkQuorumReads(history: History, index: VersionIndex, oracle: Oracle, placement: PlacementRecorder, faults: readonly Fault[]): Violation[] {
  const violations: Violation[] = [];
  const writesByKey = new Map<string, HistoryEntry[]>();
  for (const entry of history.entries) {
    if (entry.kind === 'get') continue;
    const id = `${entry.bucket}\u0000${entry.key}`;
    const writes = writesByKey.get(id);
    if (writes === undefined) writesByKey.set(id, [entry]);
    else writes.push(entry);
  }
  for (const get of history.entries) {
    const answeredMs = get.completedMs;
    if (get.kind !== 'get' || get.outcome !== 'ok' || answeredMs === undefined || get.got === undefined) continue;
    const request = history.requestOf(get);
    const getArrival = request === undefined ? undefined : placement.getArrivals.get(request);
    if (getArrival === undefined || !allPrimariesTrusted(getArrival)) continue;
    const writes = writesByKey.get(`${get.bucket}\u0000${get.key}`) ?? [];
    if (writes.some((write) => write.kind === 'delete' && write.invokedMs <= answeredMs)) continue;
    if (oracle.prunedActorsOfKey(get.bucket, get.key).size > 0) continue;
    const seen = seenBy(get, index);
    if (seen === undefined) continue;
    for (const put of writes) {
      if (put.outcome !== 'ok' || put.completedMs === undefined || put.completedMs >= get.invokedMs) continue;
      if (get.quorum + put.quorum <= getArrival.n || put.label === undefined) continue;
      const putArrival = placement.arrivals.get(put.label);
      if (putArrival === undefined || !allPrimariesTrusted(putArrival)) continue;
      if (faults.some((fault) => fault.kind !== 'duplicate' && faultOverlaps(fault, put.invokedMs, answeredMs))) continue;
      const version = index.acknowledgedVersion(put);
      if (version === undefined || seen.has(version.dot)) continue;
      if (violations.length >= violationsMax) return violations;
      violations.push({
        checker: 'quorumReads',
        message: `get #${get.id} of ${get.key} (r=${get.quorum}) through ${getArrival.node} did not see ${put.label} (${formatDot(version.dot)}), acknowledged with w=${put.quorum} before it (N=${getArrival.n}) on a clean, settled network`,
        bucket: get.bucket,
        key: get.key,
        entryIds: [put.id, get.id],
      });
    }
  }
  return violations;
}

/** The causal history of what the get returned (undefined: a sibling no coordinator made; phantoms reports it). */
function seenBy(get: HistoryEntry, index: VersionIndex): DotSet | undefined {
  const infos: VersionInfo[] = [];
  for (const sibling of get.got?.siblings ?? []) {
    const info = index.byDot(get.bucket, get.key, sibling.dot);
    if (info === undefined) return undefined;
    infos.push(info);
  }
  return index.joinedHistory(infos);
}

/** The cluster was settled at the arrival, and its coordinator trusted every primary, each up and taking writes. */
function allPrimariesTrusted(arrival: RequestArrival): boolean {
  if (!arrival.clusterSettled || arrival.coordinator === null) return false;
  return arrival.extended.slice(0, arrival.n).every((node) => arrival.trusted.includes(node) && arrival.states.get(node)?.up === true && arrival.states.get(node)?.takesWrites === true);
}
