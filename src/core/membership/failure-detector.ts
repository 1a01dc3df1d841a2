/**
 * Local, adaptive failure detection (Dynamo §4.8; DESIGN §7). Each node decides for itself
 * whether a peer is reachable, from evidence it gathers on its own: every message that arrives
 * from the peer (pongs to its pings, replies, requests) is a heartbeat, and every message the
 * runtime could not deliver to it is a failure.
 *
 * The suspicion level is phi-accrual (Hayashibara et al., as Cassandra and Akka use it): with
 * heartbeats arriving on average every `mean` ms, the chance that a live peer stays silent for
 * `t` ms is about e^(-t/mean) (exponential inter-arrival times), and phi = -log10 of it. A peer
 * whose phi passes `phiUnreachableMin` is unreachable. The mean adapts to each peer's observed
 * inter-arrival times, so a slow or distant peer is given more time than a near one.
 *
 * A failed delivery is direct evidence — the connection was refused or broke — so it makes the
 * peer unreachable at once, until it is heard from again. The detector never removes a node:
 * unreachable peers keep being pinged (retried), and only an operator removes a node.
 */
import { assert } from '../assert.ts';

/** Inter-arrival samples kept per peer: enough for a stable mean, few enough to adapt. */
export const heartbeatSamplesMax = 100;
/** Suspicion above which a peer is unreachable (phi 8: ~1 in 10^8 that a live peer stays this silent). */
export const phiUnreachableMin = 8;
/** How often a node pings each peer it shares partitions with (the heartbeat when idle). */
export const pingIntervalMs = 250;
/**
 * The smallest mean inter-arrival time the detector assumes: the ping interval. Busy peers
 * answer many times a millisecond, and without the floor a busy peer that goes idle (heard only
 * by pings again) would look dead after a short pause.
 */
export const heartbeatMeanMsMin = pingIntervalMs;

const log10e = Math.LOG10E;

interface PeerEvidence {
  /** When the peer was last heard from, or when watching began if it never was. */
  lastHeardMs: number;
  heardEver: boolean;
  /** A delivery failed after the last heartbeat: unreachable until heard again. */
  failedSinceHeard: boolean;
  readonly intervalsMs: number[];
  intervalsSumMs: number;
}

export type PeerReachability = 'up' | 'down' | 'unknown';

export class FailureDetector {
  private readonly peers = new Map<string, PeerEvidence>();

  /** Any message from `peer` arrived at `nowMs`. */
  heard(peer: string, nowMs: number): void {
    const evidence = this.evidence(peer, nowMs);
    if (evidence.heardEver) this.addInterval(evidence, nowMs - evidence.lastHeardMs);
    evidence.heardEver = true;
    evidence.lastHeardMs = nowMs;
    evidence.failedSinceHeard = false;
  }

  /** A message to `peer` could not be delivered (refused, broken connection, queue full). */
  failed(peer: string, nowMs: number): void {
    this.evidence(peer, nowMs).failedSinceHeard = true;
  }

  /** Starts the silence clock of a peer never heard from (the first ping sent to it). */
  watch(peer: string, nowMs: number): void {
    this.evidence(peer, nowMs);
  }

  /** How suspicious the peer's silence is (0 for a peer not watched). */
  phi(peer: string, nowMs: number): number {
    const evidence = this.peers.get(peer);
    if (evidence === undefined) return 0;
    const silenceMs = Math.max(0, nowMs - evidence.lastHeardMs);
    return (silenceMs / meanIntervalMs(evidence)) * log10e;
  }

  isReachable(peer: string, nowMs: number): boolean {
    const evidence = this.peers.get(peer);
    if (evidence === undefined) return true; // no evidence against it yet
    return !evidence.failedSinceHeard && this.phi(peer, nowMs) < phiUnreachableMin;
  }

  /** When `peer` was last heard from; undefined if never. */
  lastHeardMs(peer: string): number | undefined {
    const evidence = this.peers.get(peer);
    return evidence?.heardEver ? evidence.lastHeardMs : undefined;
  }

  /** For status pages: 'unknown' until the peer was heard from or failed. */
  reachability(peer: string, nowMs: number): PeerReachability {
    const evidence = this.peers.get(peer);
    if (!this.isReachable(peer, nowMs)) return 'down';
    return evidence?.heardEver ? 'up' : 'unknown';
  }

  private evidence(peer: string, nowMs: number): PeerEvidence {
    let evidence = this.peers.get(peer);
    if (evidence === undefined) {
      evidence = { lastHeardMs: nowMs, heardEver: false, failedSinceHeard: false, intervalsMs: [], intervalsSumMs: 0 };
      this.peers.set(peer, evidence);
    }
    return evidence;
  }

  private addInterval(evidence: PeerEvidence, intervalMs: number): void {
    assert(intervalMs >= 0, 'time never goes backwards');
    evidence.intervalsMs.push(intervalMs);
    evidence.intervalsSumMs += intervalMs;
    if (evidence.intervalsMs.length > heartbeatSamplesMax) evidence.intervalsSumMs -= evidence.intervalsMs.shift()!;
  }
}

function meanIntervalMs(evidence: PeerEvidence): number {
  const count = evidence.intervalsMs.length;
  const mean = count === 0 ? heartbeatMeanMsMin : evidence.intervalsSumMs / count;
  return Math.max(heartbeatMeanMsMin, mean);
}
