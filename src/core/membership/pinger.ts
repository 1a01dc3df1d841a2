/**
 * The heartbeat of failure detection (Dynamo §4.8): every `pingIntervalMs` a node pings each
 * peer it watches, reachable or not — an unreachable peer is retried by the very same pings,
 * and its first pong makes it reachable again.
 */
import { pingIntervalMs, type FailureDetector } from './failure-detector.ts';

export class Pinger {
  private nextPingMs = 0;

  constructor(private readonly detector: FailureDetector) {}

  /** Calls `ping` for each of `peers` when a round is due. */
  tick(nowMs: number, peers: Iterable<string>, ping: (peer: string) => void): void {
    if (nowMs < this.nextPingMs) return;
    this.nextPingMs = nowMs + pingIntervalMs;
    for (const peer of peers) {
      this.detector.watch(peer, nowMs);
      ping(peer);
    }
  }
}
