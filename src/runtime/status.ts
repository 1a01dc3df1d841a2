/**
 * What a node process reports of itself (GET /v1/status, /metrics, the dashboard, `kvorum top`):
 * the runtime's status (which carries the core's, KvNode.status) and its binary protocol
 * listener's. Plain data all through.
 */
import type { BinaryProtocolStatus } from './client-protocol/client-server.ts';
import type { RuntimeStatus } from './node-runtime.ts';

export interface ServerStatus extends RuntimeStatus {
  /** Null when the node has no client address (clients use HTTP). */
  readonly binary: BinaryProtocolStatus | null;
}
