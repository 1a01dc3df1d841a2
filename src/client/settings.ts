/** The client's defaults and fixed limits, named with their unit last (DESIGN §13). */
export const clientDefaults = {
  /** How long the client waits for a request that sets no deadline (as long as a node's default). */
  timeoutMs: 5_000,
  /** How long a fetched ring is trusted before it is fetched again. */
  ringRefreshMs: 30_000,
  /** HTTP keep-alive connections per node. */
  connectionsPerNode: 64,
} as const;

/** How much longer than the node's own deadline the client waits for an answer before giving up. */
export const replyGraceMs = 1_000;
/** After a node cannot be reached, it is tried last for this long. */
export const nodeDownMs = 2_000;
/** From starting to connect to a node's binary port to its welcome. */
export const connectTimeoutMsMax = 3_000;
/** First and largest delay before dialling again a node whose binary connection failed. */
export const reconnectBackoff = { reconnectBackoffMsMin: 50, reconnectBackoffMsMax: 2_000 } as const;
