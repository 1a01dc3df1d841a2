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
} as const;

/** Handshake and ack frames are tiny; an unauthenticated peer may not make us buffer more. */
export const controlFrameBytesMax = 4 * 1024;
/** TCP keepalive on every connection, so that an idle connection to a vanished host is noticed. */
export const keepAliveInitialDelayMs = 5_000;
