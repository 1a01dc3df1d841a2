/**
 * How long a replica's answer to a get usually takes here, and so when a get that asked only R
 * nodes should ask one more (get.ts; Cassandra's "speculative retry"). The estimate is TCP's
 * retransmission timer (RFC 6298 §2): a smoothed reply time plus four times its smoothed
 * deviation, from the replies this node's gets have heard — so it follows the load (a queue
 * makes every reply slower, and nobody is asked early for it) and flags a reply far slower than
 * usual (a paused or vanished replica) within a few milliseconds, not the seconds the failure
 * detector takes.
 */
import { assertFailed } from '../assert.ts';

/** Never sooner: a scheduler's hiccup or a minor GC on a replica is not worth a message to another. */
export const speculativeAskMsMin = 5;
/** RFC 6298's gains: α = 1/8 for the mean, β = 1/4 for the deviation. */
const meanGain = 1 / 8;
const deviationGain = 1 / 4;
const deviations = 4;

export class ReplyTimeEstimate {
  /** Smoothed reply time (SRTT), undefined until the first reply is heard. */
  private meanMs: number | undefined;
  /** Smoothed mean deviation (RTTVAR). */
  private deviationMs = 0;

  /** A replica answered a get `ms` after it was asked. */
  observe(ms: number): void {
    if (!(Number.isFinite(ms) && ms >= 0)) assertFailed(`bad reply time ${ms}`);
    if (this.meanMs === undefined) {
      this.meanMs = ms;
      this.deviationMs = ms / 2;
      return;
    }
    this.deviationMs += deviationGain * (Math.abs(this.meanMs - ms) - this.deviationMs);
    this.meanMs += meanGain * (ms - this.meanMs);
  }

  /**
   * How long to wait for the nodes a get asked before asking another: at least
   * `speculativeAskMsMin`, at most `ceilingMs` (also the answer before any reply was heard).
   */
  askAnotherAfterMs(ceilingMs: number): number {
    if (this.meanMs === undefined) return ceilingMs;
    const estimateMs = Math.ceil(this.meanMs + deviations * this.deviationMs);
    return Math.min(ceilingMs, Math.max(speculativeAskMsMin, estimateMs));
  }
}
