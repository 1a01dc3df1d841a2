/**
 * Measures the latency of the client requests this node coordinates, from arrival to answer,
 * on the core's own clock (`nowMs` of each step): the foreground signal the background budget
 * backs off from (budget.ts).
 */

/** Requests whose start is remembered at once; beyond that the oldest are forgotten. */
const trackedRequestsMax = 20_000;

export class LatencyProbe {
  private readonly startedMs = new Map<number, number>();

  started(requestId: number, nowMs: number): void {
    if (this.startedMs.size >= trackedRequestsMax) {
      const oldest = this.startedMs.keys().next().value;
      if (oldest !== undefined) this.startedMs.delete(oldest);
    }
    this.startedMs.set(requestId, nowMs);
  }

  /** The request's latency, or undefined when its start is unknown. */
  answered(requestId: number, nowMs: number): number | undefined {
    const started = this.startedMs.get(requestId);
    if (started === undefined) return undefined;
    this.startedMs.delete(requestId);
    return nowMs - started;
  }
}
