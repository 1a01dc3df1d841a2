/**
 * What each node's process has learned of its peers from the network — the only evidence a
 * node may act on when it calls a peer unreachable (Dynamo §4.8: failure detection is local).
 * The world tells this mirror every message it delivers and every failure it reports, per
 * process (a restart forgets everything, as a new KvNode's failure detector starts empty).
 *
 * A node has evidence that a peer is unreachable at time t when
 * - a delivery to the peer failed (the transport said so) and nothing from the peer has arrived
 *   since, or
 * - nothing has arrived from the peer for at least `silenceMsMin`: the shortest silence
 *   phi-accrual can call a failure (phi ≥ 8 with a mean inter-arrival of at least the 250 ms
 *   ping interval: 8 / log10(e) × 250 ms ≈ 4.6 s; core/membership/failure-detector.ts).
 * This is the rule DESIGN §7 states, written here from the network's side: it does not read
 * the detector. It is lenient where the detector may be stricter (its silence clock may start
 * later than the process), so a verdict of "no evidence" is sound.
 */

/** The shortest silence that phi-accrual (phi ≥ 8, mean ≥ 250 ms) can take for a failure. */
export const silenceMsMin = Math.ceil((8 / Math.LOG10E) * 250);

interface PeerEvidence {
  lastHeardMs: number;
  failedSinceHeard: boolean;
}

export class Reachability {
  /** node → when its current process started, and what it has heard of each peer. */
  private readonly processes = new Map<string, { readonly bootMs: number; readonly peers: Map<string, PeerEvidence> }>();
  /** By `node peer`: when the node's processes were told a delivery to the peer failed. */
  private readonly failures = new Map<string, number[]>();

  onBoot(node: string, nowMs: number): void {
    this.processes.set(node, { bootMs: nowMs, peers: new Map() });
  }

  /** The node's process died: it reaches nobody until it boots again. */
  onCrash(node: string): void {
    this.processes.delete(node);
  }

  onHeard(node: string, from: string, nowMs: number): void {
    const evidence = this.evidence(node, from);
    if (evidence === undefined) return;
    evidence.lastHeardMs = nowMs;
    evidence.failedSinceHeard = false;
  }

  onFailed(node: string, to: string, nowMs: number): void {
    const evidence = this.evidence(node, to);
    if (evidence === undefined) return;
    evidence.failedSinceHeard = true;
    const failures = this.failures.get(`${node} ${to}`) ?? [];
    this.failures.set(`${node} ${to}`, [...failures, nowMs]);
  }

  /**
   * Whether the transport told `node` during [fromMs, toMs] that a delivery to `peer` failed: a
   * request then may rightly give `peer` up, even if `peer` is up again by now (a failure about
   * a message sent to its previous process arrives up to 20 ms after it restarted: network.ts).
   */
  failedBetween(node: string, peer: string, fromMs: number, toMs: number): boolean {
    return (this.failures.get(`${node} ${peer}`) ?? []).some((atMs) => atMs >= fromMs && atMs <= toMs);
  }

  /** Whether `node`'s process had evidence at `nowMs` that `peer` cannot be reached (see the file comment). */
  unreachable(node: string, peer: string, nowMs: number): boolean {
    if (node === peer) return false;
    const process = this.processes.get(node);
    if (process === undefined) return true; // down: it reaches nobody
    const evidence = process.peers.get(peer);
    if (evidence?.failedSinceHeard) return true;
    return nowMs - Math.max(process.bootMs, evidence?.lastHeardMs ?? 0) >= silenceMsMin;
  }

  private evidence(node: string, peer: string): PeerEvidence | undefined {
    const process = this.processes.get(node);
    if (process === undefined) return undefined;
    let evidence = process.peers.get(peer);
    if (evidence === undefined) process.peers.set(peer, (evidence = { lastHeardMs: -Infinity, failedSinceHeard: false }));
    return evidence;
  }
}
