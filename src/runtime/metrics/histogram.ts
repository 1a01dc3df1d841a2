/**
 * Latency histograms recorded on the request path: fixed buckets in a Float64Array, so an
 * observation is a short scan and two additions — no allocation, no label hashing (prom-client's
 * own Histogram builds a label key and a closure per observation). They are exported through
 * prom-client's registry (registry.ts) in Prometheus' cumulative form, and the dashboard reads
 * quantiles from the difference of two snapshots (`quantile`).
 */

/** Upper bounds, in seconds, for request latencies: 100 µs to 10 s, dense where requests are. */
export const requestSecondsBounds: readonly number[] = [
  0.0001, 0.00025, 0.0005, 0.00075, 0.001, 0.0015, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/** Upper bounds for work done inside one turn of the event loop (a store op): 5 µs to 100 ms. */
export const stepSecondsBounds: readonly number[] = [0.000005, 0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1];

/** Upper bounds for disk commits (an LMDB transaction and its fsync): 100 µs to 5 s. */
export const commitSecondsBounds: readonly number[] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5];

export class Histogram {
  /** Observations per bucket, not cumulative; the last bucket is +Inf. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(readonly bounds: readonly number[]) {
    for (let i = 1; i < bounds.length; i++) if (!(bounds[i]! > bounds[i - 1]!)) throw new Error('histogram bounds must increase');
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(seconds: number): void {
    const { bounds } = this;
    let i = 0;
    // Prometheus buckets are `le`: a value equal to a bound belongs to that bound's bucket.
    while (i < bounds.length && seconds > bounds[i]!) i++;
    this.counts[i]! += 1;
    this.sum += seconds;
    this.count += 1;
  }

  /** A copy of the bucket counts, to subtract from a later one. */
  snapshot(): Float64Array {
    return this.counts.slice();
  }
}

/**
 * The q-quantile (0..1) of the observations counted in `counts` (per bucket, as Histogram keeps
 * them, e.g. the difference of two snapshots), interpolated linearly inside its bucket as
 * Prometheus' histogram_quantile does; null when there are none. Past the last bound it answers
 * the last bound.
 */
export function quantile(bounds: readonly number[], counts: ArrayLike<number>, q: number): number | null {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i]!;
  if (total === 0) return null;
  const rank = q * total;
  let below = 0;
  for (let i = 0; i < counts.length; i++) {
    const inBucket = counts[i]!;
    if (below + inBucket >= rank && inBucket > 0) {
      if (i >= bounds.length) return bounds[bounds.length - 1]!;
      const lower = i === 0 ? 0 : bounds[i - 1]!;
      return lower + (bounds[i]! - lower) * ((rank - below) / inBucket);
    }
    below += inBucket;
  }
  return bounds[bounds.length - 1]!;
}
