/**
 * Measures the latency of the client requests this node coordinates, from arrival to answer,
 * on the core's own clock (`nowMs` of each step): the foreground signal the background budget
 * backs off from (budget.ts).
 */

import { IdTable } from '../id-table.ts';

/**
 * Requests whose start is remembered at once. Every request is answered, so this is only a
 * bound: past it, the starts remembered are forgotten, and those requests go unmeasured.
 */
const trackedRequestsMax = 20_000;

export class LatencyProbe {
  /** By request id; an IdTable, not a Map, because it churns with every request (id-table.ts says why). */
  private readonly startedMs = new IdTable<number>();

  started(requestId: number, nowMs: number): void {
    if (this.startedMs.size >= trackedRequestsMax) this.startedMs.clear();
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
