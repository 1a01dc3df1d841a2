/**
 * Latency recording with HdrHistogram (hdr-histogram-js): values in microseconds, 3 significant
 * digits, up to one minute — so p99.9 is exact to 0.1 % and recording costs ~0.07 µs, which
 * matters because the harness shares the two cores with the servers it measures.
 */
import * as hdr from 'hdr-histogram-js';

const latencyMicrosMax = 60_000_000;
const significantDigits = 3;
const microsPerMs = 1000;

export interface LatencySummary {
  readonly count: number;
  readonly meanMs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
  readonly maxMs: number;
}

export class LatencyRecorder {
  private readonly histogram = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: latencyMicrosMax,
    numberOfSignificantValueDigits: significantDigits,
  });

  recordMs(elapsedMs: number): void {
    const micros = Math.round(elapsedMs * microsPerMs);
    this.histogram.recordValue(Math.min(latencyMicrosMax, Math.max(1, micros)));
  }

  get count(): number {
    return this.histogram.totalCount;
  }

  summary(): LatencySummary {
    const h = this.histogram;
    const toMs = (micros: number): number => micros / microsPerMs;
    if (h.totalCount === 0) return { count: 0, meanMs: 0, p50Ms: 0, p99Ms: 0, p999Ms: 0, maxMs: 0 };
    // A percentile is reported as the top of its 0.1 % bucket, which can lie just above the
    // largest value actually recorded: cap it there so p99.9 never exceeds max.
    const at = (percentile: number): number => toMs(Math.min(h.getValueAtPercentile(percentile), h.maxValue));
    return {
      count: h.totalCount,
      meanMs: toMs(h.mean),
      p50Ms: at(50),
      p99Ms: at(99),
      p999Ms: at(99.9),
      maxMs: toMs(h.maxValue),
    };
  }

  /** Adds another recorder's values (the overall histogram is the sum of the per-operation ones). */
  add(other: LatencyRecorder): void {
    this.histogram.add(other.histogram);
  }

  /** HdrHistogram's compressed base64 form, so a result file can be re-analysed later. */
  encoded(): string {
    return hdr.encodeIntoCompressedBase64(this.histogram);
  }

  destroy(): void {
    this.histogram.destroy();
  }
}
