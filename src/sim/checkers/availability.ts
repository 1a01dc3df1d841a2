/**
 * Writes stay available (DESIGN §2.1; Dynamo §4.6): a put succeeds while W nodes of the key's
 * extended preference list can be reached (pw of them primaries) — with hinted handoff off, W of
 * its primaries. A put refused, or left unanswered, while W reachable nodes existed is a bug.
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
 * — is flagged like any other); and it does not judge puts during faults at all, where Dynamo's
 * promise depends on timing it cannot measure.
 */
import type { Fault } from '../faults.ts';
import type { History } from '../history.ts';
import type { PlacementRecorder } from '../placement.ts';
import type { Violation } from './violation.ts';

/** Error codes (and client outcomes) that say a put was refused or left unanswered for want of replicas. */
const refusals = new Set(['quorum_not_met', 'unavailable', 'timeout', 'deadline']);
const networkFaults = new Set<Fault['kind']>(['partition', 'longPartition', 'clog', 'drop', 'latency']);
const membershipFaults = new Set<Fault['kind']>(['join', 'leave', 'abort']);

export function checkAvailability(history: History, placement: PlacementRecorder, faults: readonly Fault[]): Violation[] {
  const violations: Violation[] = [];
  for (const entry of history.writes()) {
    if (entry.outcome !== 'failed' && entry.outcome !== 'unknown') continue;
    if (entry.code === undefined || !refusals.has(entry.code) || entry.label === undefined || entry.completedMs === undefined) continue;
    const arrival = placement.arrivals.get(entry.label);
    if (arrival === undefined || !arrival.clusterSettled || arrival.coordinator === null) continue;
    const from = arrival.atMs;
    const to = entry.completedMs;
    const during = faults.filter((fault) => overlaps(fault, from, to));
    if (during.some((fault) => networkFaults.has(fault.kind) || membershipFaults.has(fault.kind))) continue;
    const touched = new Set(during.flatMap((fault) => ('node' in fault && fault.kind !== 'join' && fault.kind !== 'leave' && fault.kind !== 'abort' ? [fault.node] : [])));
    const { coordinator } = arrival;
    if (touched.has(coordinator) || touched.has(arrival.node) || arrival.states.get(coordinator)?.serves !== true) continue;
    const told = (node: string): boolean => placement.reach.failedBetween(coordinator, node, from, to);
    const reachable = arrival.trusted.filter((node) => node === coordinator || (!touched.has(node) && !told(node) && arrival.states.get(node)?.up === true && arrival.states.get(node)?.takesWrites === true));
    const primaries = reachable.filter((node) => arrival.extended.indexOf(node) < arrival.n);
    if (reachable.length < entry.quorum || primaries.length < arrival.pw) continue;
    violations.push({
      checker: 'availability',
      message: `${entry.kind} ${entry.label} (#${entry.id}, w=${entry.quorum}, pw=${arrival.pw}) ended ${entry.outcome} (${entry.code}) though ${reachable.length} node(s) of its list were reachable from ${coordinator} throughout (${reachable.join(', ')}; ${primaries.length} primaries) and the network was clean`,
      bucket: entry.bucket,
      key: entry.key,
      entryIds: [entry.id],
    });
  }
  return violations;
}

function overlaps(fault: Fault, fromMs: number, toMs: number): boolean {
  // A join or leave runs until its transfers end, past its window: it counts from its start.
  const endMs = fault.kind === 'join' || fault.kind === 'leave' ? Infinity : fault.untilMs;
  return fault.atMs <= toMs && endMs >= fromMs;
}
