/**
 * The budget of background work (issue 4 §4, DESIGN §7 "admission control"): token buckets
 * of keys and value bytes per second that scans and repairs draw from, refilled with time at a
 * rate that backs off when foreground requests get slow. Policy: every `rateAdjustIntervalMs`,
 * if the moving average latency of requests this node coordinated is above
 * `foregroundLatencyMsMax`, the rate halves (down to full / `rateDivisorMax`); otherwise it
 * doubles back towards full. Multiplicative decrease answers load at once; the doubling brings
 * repairs back within a few intervals once the load has gone.
 */
import type { AntiEntropySettings } from './settings.ts';

/** Weight of the newest sample in the moving average of foreground latency. */
const latencyAverageWeight = 0.2;

export class BackgroundBudget {
  private keys: number;
  private bytes: number;
  private lastRefillMs: number;
  private lastAdjustMs: number;
  private latencyAverageMs = 0;
  /** The rate is full / divisor; 1 is full rate. */
  divisor = 1;

  constructor(
    private readonly settings: AntiEntropySettings,
    nowMs: number,
  ) {
    this.keys = settings.keysPerSecondMax;
    this.bytes = settings.bytesPerSecondMax;
    this.lastRefillMs = nowMs;
    this.lastAdjustMs = nowMs;
  }

  /** One coordinated request took `latencyMs`. */
  onForegroundLatency(latencyMs: number): void {
    this.latencyAverageMs += latencyAverageWeight * (latencyMs - this.latencyAverageMs);
  }

  get foregroundLatencyMs(): number {
    return this.latencyAverageMs;
  }

  /** Refills the buckets and adjusts the rate; returns -1 (backed off), 1 (recovered) or 0. */
  advance(nowMs: number): number {
    const elapsedMs = nowMs - this.lastRefillMs;
    this.lastRefillMs = nowMs;
    const { keysPerSecondMax, bytesPerSecondMax } = this.settings;
    // At most one second's worth is banked, so an idle node does not burst later.
    this.keys = Math.min(keysPerSecondMax, this.keys + (keysPerSecondMax * elapsedMs) / 1000 / this.divisor);
    this.bytes = Math.min(bytesPerSecondMax, this.bytes + (bytesPerSecondMax * elapsedMs) / 1000 / this.divisor);
    if (nowMs - this.lastAdjustMs < this.settings.rateAdjustIntervalMs) return 0;
    this.lastAdjustMs = nowMs;
    return this.adjust();
  }

  private adjust(): number {
    if (this.latencyAverageMs > this.settings.foregroundLatencyMsMax) {
      if (this.divisor >= this.settings.rateDivisorMax) return 0;
      this.divisor *= 2;
      return -1;
    }
    if (this.divisor === 1) return 0;
    this.divisor /= 2;
    return 1;
  }

  /** Keys the next chunk may read (0: wait). Bytes only need to be positive: a chunk may overdraw them. */
  keysAvailable(): number {
    return this.bytes > 0 ? Math.floor(this.keys) : 0;
  }

  charge(keys: number, bytes: number): void {
    this.keys -= keys;
    this.bytes -= bytes;
  }
}
