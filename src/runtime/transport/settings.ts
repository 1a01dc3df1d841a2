/**
 * Defaults and fixed limits of the transport, named with their unit last (DESIGN §13).
 * The per-peer queue and the frame size come from core/limits.ts; these are the rest.
 */
export const transportDefaults = {
  /** From starting a TCP connect to the peer's welcome; also how long a server waits for a hello. */
  connectTimeoutMs: 3_000,
  /** First reconnect delay after a failure; doubles per consecutive failure (with jitter). */
  reconnectBackoffMsMin: 50,
  reconnectBackoffMsMax: 2_000,
  /**
   * A connection with frames in flight that sees no acknowledgement for this long is declared
   * dead: the peer's process is stuck or its host vanished without a RST, which TCP alone only
   * notices after many minutes of retransmissions.
   */
  ackTimeoutMs: 10_000,
  /**
   * A frame a peer has started must be whole within this of the previous frame's end (or of its
   * own start); else the connection is dropped (`peerFramesTimedOut`). A 64 MiB frame needs
   * 2.2 MB/s to make it. Without it, 8 connections each holding 60 MiB of an unfinished frame took
   * a node to 1.1 GB for good (issue 11 §5). A cluster config may shorten it (tests do).
   */
  frameTimeoutMs: 30_000,
  /**
   * Connections peers may hold open to one node at once, handshakes included: beyond it new ones
   * are closed on arrival (`peerConnectionsRefused`). Each member dials one (membership nodes at
   * most `limits.nodesCountMax`), so this leaves room for a full cluster reconnecting.
   */
  inboundConnectionsMax: 2_048,
  /**
   * Connections one authenticated peer may hold open at once. A member uses one; a second is a
   * reconnect whose old connection has not closed here yet. Beyond it the oldest is closed: the
   * newest is the one the peer is using (`peerConnectionsRefused`).
   */
  inboundConnectionsPerPeerMax: 2,
  /**
   * Bytes of unfinished frames buffered over all inbound connections. A connection whose data
   * takes the total past it is dropped and counted in `peerConnectionsRefused`: with names enough
   * to pass the per-peer cap, many connections each holding most of a 64 MiB frame would otherwise
   * add up to gigabytes (issue 11 §5 reached 1.1 GB with eight). Eight frames of the largest size.
   */
  inboundBufferedBytesMax: 512 * 1024 * 1024,
} as const;

/**
 * A receiver acknowledges what it was handed at most this long after (inbound-connection.ts),
 * or at the end of the turn once `ackFramesMax` frames wait. Well under `ackTimeoutMs`; the
 * sender holds `peerQueueFramesMax` (10,000) frames, far more than arrive unacknowledged.
 * Each ack is a socket write here and a wake-up of the sender, on no request's path (half a
 * write of the 3.5 per get at one request in flight), but a longer wait keeps every sent message
 * alive longer: 50 ms cost more GC and, at C = 64, no less CPU (docs/benchmarks.md).
 */
export const ackDelayMs = 5;
export const ackFramesMax = 256;

/** Handshake and ack frames are tiny; an unauthenticated peer may not make us buffer more. */
export const controlFrameBytesMax = 4 * 1024;
/** TCP keepalive on every connection, so that an idle connection to a vanished host is noticed. */
export const keepAliveInitialDelayMs = 5_000;
