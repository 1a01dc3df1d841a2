/**
 * Delay before the next connection attempt to a peer that failed: exponential in the number
 * of consecutive failures, capped, with "equal jitter" (half fixed, half random) so that the
 * nodes (or clients) that lost the same node do not all knock on its door at the same moment
 * when it comes back.
 */
import { assertFailed } from '../core/assert.ts';

export interface BackoffRange {
  readonly reconnectBackoffMsMin: number;
  readonly reconnectBackoffMsMax: number;
}

/** `failures` ≥ 1 consecutive failures so far; `random` in [0, 1). */
export function reconnectDelayMs(failures: number, range: BackoffRange, random: number): number {
  const { reconnectBackoffMsMin: min, reconnectBackoffMsMax: max } = range;
  if (!(Number.isInteger(failures) && failures >= 1)) assertFailed(`failures must be a positive integer, got ${failures}`);
  if (!(min > 0 && max >= min)) assertFailed(`bad backoff range ${min}..${max}`);
  if (!(random >= 0 && random < 1)) assertFailed(`random out of [0, 1): ${random}`);
  // 2^30 already exceeds any sane max; the cap keeps the power finite.
  const ceilingMs = Math.min(max, min * 2 ** Math.min(failures - 1, 30));
  const delayMs = ceilingMs / 2 + (random * ceilingMs) / 2;
  return Math.round(Math.min(max, Math.max(min, delayMs)));
}
