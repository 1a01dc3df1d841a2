/**
 * Every limit of anti-entropy, named with its unit last. The defaults suit a production node;
 * a cluster config may shorten the exchange interval (tests do), and the simulator picks its own.
 */
export interface AntiEntropySettings {
  /** Off: no trees, no exchanges (the simulator's read-repair comparison runs turn it off). */
  readonly enabled: boolean;
  /** Replicas per partition: the longest N of any bucket, so every replica of a key is a peer. */
  readonly partitionReplicas: number;
  /** A node starts one exchange (one partition with one peer) this often. */
  readonly exchangeIntervalMs: number;
  /** An exchange not finished by then is abandoned (the peer may be down); the next one retries. */
  readonly exchangeTimeoutMs: number;
  /** Exchanges this node answers at once; more are refused as busy. */
  readonly responderExchangesMax: number;
  /** Differing segments repaired per exchange; the rest wait for the next exchange of the partition. */
  readonly segmentsPerExchangeMax: number;
  /**
   * Keys one exchange lists (the initiator's keys in the differing segments it takes on): whole
   * segments are taken while they fit. At most `aaeListedKeysMax`, what a peer accepts.
   */
  readonly listedKeysPerExchangeMax: number;
  /** Budget of background work (tree builds, key listings, repairs), in keys read or sent per second. */
  readonly keysPerSecondMax: number;
  /** The same budget in value bytes per second. */
  readonly bytesPerSecondMax: number;
  /** Entries one scan chunk reads at most. */
  readonly scanChunkEntriesMax: number;
  /** Value bytes after which a scan chunk stops early. */
  readonly scanChunkBytesMax: number;
  /** Encoded object bytes one aaeRepair message carries at most (unless one object alone is more). */
  readonly repairMessageBytesMax: number;
  /**
   * Foreground latency (moving average of requests this node coordinates) above which the
   * background rate is halved each adjustment; at or below it the rate doubles back to full.
   */
  readonly foregroundLatencyMsMax: number;
  /** How often the rate is adjusted. */
  readonly rateAdjustIntervalMs: number;
  /** The background rate never falls below full rate divided by this. */
  readonly rateDivisorMax: number;
}

export const defaultAntiEntropySettings: AntiEntropySettings = {
  enabled: true,
  partitionReplicas: 3,
  exchangeIntervalMs: 1_000,
  exchangeTimeoutMs: 30_000,
  responderExchangesMax: 4,
  segmentsPerExchangeMax: 1024,
  listedKeysPerExchangeMax: 10_000,
  keysPerSecondMax: 5_000,
  bytesPerSecondMax: 8 * 1024 * 1024,
  scanChunkEntriesMax: 256,
  scanChunkBytesMax: 1024 * 1024,
  repairMessageBytesMax: 4 * 1024 * 1024,
  foregroundLatencyMsMax: 100,
  rateAdjustIntervalMs: 1_000,
  rateDivisorMax: 64,
};
