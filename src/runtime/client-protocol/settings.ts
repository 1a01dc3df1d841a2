/**
 * Limits of the binary client protocol's server side, named with their unit last (DESIGN §13).
 * The two an operator may change (cluster config `clientInflightMax`, `clientConnectionsMax`)
 * are defaults here; the rest are fixed. The request frame limit follows from the node's
 * request limits (`requestFrameBytesMax`).
 */
export const clientProtocolDefaults = {
  /**
   * Requests one connection may have in flight. One more is answered `overloaded` at once (the
   * connection stays open): a pipelining client is told to slow down, not cut off.
   */
  inflightMax: 1024,
  /** Open client connections per node; the next one is refused with `overloaded` and closed. */
  connectionsMax: 1024,
  /** From accepting a connection to the client's hello. */
  handshakeTimeoutMs: 5_000,
  /** A connection with nothing in flight and no frame received for this long is closed. */
  idleTimeoutMs: 300_000,
  /** A frame begun must be complete within this long: a client stalled mid-frame holds a buffer. */
  partialFrameTimeoutMs: 30_000,
} as const;

/** How often the server looks for connections past the handshake, idle or partial-frame timeout. */
export const clientSweepIntervalMs = 1_000;

/**
 * Bytes a request frame may hold beyond its value and key: the bucket name (64), the content
 * type (256), the context token (8 KiB), field names and msgpack headers, with room to spare.
 */
export const requestFrameOverheadBytes = 16 * 1024;

/** The hello is small; before it, a client may not make the server buffer more than this. */
export const helloFrameBytesMax = 4 * 1024;

/** Largest request frame a node accepts: a put of the largest value with the longest key. */
export function requestFrameBytesMax(requestLimits: { readonly valueBytesMax: number; readonly keyBytesMax: number }): number {
  return requestLimits.valueBytesMax + requestLimits.keyBytesMax + requestFrameOverheadBytes;
}
