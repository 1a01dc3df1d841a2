/**
 * Writes stay available (DESIGN §2.1; Dynamo §4.6): a put succeeds while W nodes of the key's
 * extended preference list can be reached (pw of them primaries) — with hinted handoff off, W of
 * its primaries. A put refused, or left unanswered, while W reachable nodes existed is a bug.
 * So do reads (Dynamo §5): a get succeeds while R nodes of the list (pr of them primaries; with
 * hinted handoff off, R primaries) can be reached from the node it arrived at, which coordinates
 * it (gets are never forwarded). Everything below holds for gets as for puts, with R for W.
 *
 * "Reachable" is defined with what the simulated network and the coordinator's own evidence say
 * (reachability.ts, placement.ts), for the whole life of the request, from its arrival at the
 * first node (t0) to its answer (t1). A put is judged only when
 * - no network fault was in force at any point of [t0, t1] — no partition, clog, random drop or
 *   latency spike (duplicates are allowed) — and no membership change started in it, and at t0
 *   every running node held the same settled view and the first node was ready to serve;
 * - its coordinator (the first node if it is a primary, else the primary it forwards to, else —
 *   with none reachable, under sloppy quorum — itself) was up for all of [t0, t1].
 * A node of the list then counts as reachable when the coordinator had no evidence against it at
 * t0 (no failed delivery since it last heard from it, no silence past phi's reach), it was up and
 * able to take writes (it knew the partition epochs: a new disk refuses objects until it does),
 * neither a crash, a wipe, a flap nor a slow disk touched it during [t0, t1], and the transport
 * did not tell the coordinator during [t0, t1] that a delivery to it failed (a failure about a
 * message sent to its previous process comes up to 20 ms after a restart: seed 33 of
 * --converge-by antiEntropy, where no stand-in may take its place).
 *
 * What it cannot know: whether a node's failure detector is right — a node that came back is
 * distrusted until it is heard from again, and the checker accepts that (a write refused because
 * of stale evidence is not flagged); whether a target refused for a reason of its own that it
 * did not report (every refusal is a reply, so none goes unseen, but a refusal the core makes
 * legitimately — a replica whose partition a tombstone round fenced after the coordinator read it
 * — is flagged like any other: a fence is a moment, and the core waits for it to pass, for puts
 * and gets alike); and it does not judge requests during faults at all, where Dynamo's promise
 * depends on timing it cannot measure.
 */
import { faultOverlaps, type Fault } from '../faults.ts';
import type { History } from '../history.ts';
import type { HistoryEntry } from '../history.ts';
import type { PlacementRecorder, RequestArrival } from '../placement.ts';
import type { Violation } from './violation.ts';

/** Error codes (and client outcomes) that say a request was refused or left unanswered for want of replicas. */
const refusals = new Set(['quorum_not_met', 'unavailable', 'timeout', 'deadline']);
const networkFaults = new Set<Fault['kind']>(['partition', 'longPartition', 'clog', 'drop', 'latency']);
const membershipFaults = new Set<Fault['kind']>(['join', 'leave', 'abort']);

export function checkAvailability(history: History, placement: PlacementRecorder, faults: readonly Fault[]): Violation[] {
  const violations: Violation[] = [];
  for (const entry of history.entries) {
    if (entry.outcome !== 'failed' && entry.outcome !== 'unknown') continue;
    if (entry.code === undefined || !refusals.has(entry.code) || entry.completedMs === undefined) continue;
    const request = history.requestOf(entry);
    const arrival = entry.kind === 'get' ? (request === undefined ? undefined : placement.getArrivals.get(request)) : entry.label === undefined ? undefined : placement.arrivals.get(entry.label);
    if (arrival === undefined) continue;
    const violation = judge(entry, arrival, entry.completedMs, placement, faults);
    if (violation !== null) violations.push(violation);
  }
  return violations;
}

/** A violation if `entry` failed while its quorum was reachable throughout, on a clean network; else null. */
function judge(entry: HistoryEntry, arrival: RequestArrival, to: number, placement: PlacementRecorder, faults: readonly Fault[]): Violation | null {
  if (!arrival.clusterSettled || arrival.coordinator === null) return null;
  const from = arrival.atMs;
  const during = faults.filter((fault) => faultOverlaps(fault, from, to));
  if (during.some((fault) => networkFaults.has(fault.kind) || membershipFaults.has(fault.kind))) return null;
  const touched = new Set(during.flatMap((fault) => ('node' in fault && fault.kind !== 'join' && fault.kind !== 'leave' && fault.kind !== 'abort' ? [fault.node] : [])));
  const { coordinator } = arrival;
  if (touched.has(coordinator) || touched.has(arrival.node) || arrival.states.get(coordinator)?.serves !== true) return null;
  const told = (node: string): boolean => placement.reach.failedBetween(coordinator, node, from, to);
  const reachable = arrival.trusted.filter((node) => node === coordinator || (!touched.has(node) && !told(node) && arrival.states.get(node)?.up === true && arrival.states.get(node)?.takesWrites === true));
  const primaries = reachable.filter((node) => arrival.extended.indexOf(node) < arrival.n);
  if (reachable.length < entry.quorum || primaries.length < arrival.primariesMin) return null;
  const what = entry.kind === 'get' ? `get of ${entry.key} (#${entry.id}, r=${entry.quorum}, pr=${arrival.primariesMin})` : `${entry.kind} ${entry.label} (#${entry.id}, w=${entry.quorum}, pw=${arrival.primariesMin})`;
  return {
    checker: 'availability',
    message: `${what} ended ${entry.outcome} (${entry.code}) though ${reachable.length} node(s) of its list were reachable from ${coordinator} throughout (${reachable.join(', ')}; ${primaries.length} primaries) and the network was clean`,
    bucket: entry.bucket,
    key: entry.key,
    entryIds: [entry.id],
  };
}
