/**
 * Bounds of partition transfers (Dynamo §4.9), each a named constant with its unit last. A
 * transfer runs in the background beside client traffic, so it moves a partition in bounded
 * chunks, one chunk in flight per transfer, and only a few transfers at a time per node.
 */

/** Keys in one transfer chunk (and the most a peer may send in one). */
export const transferEntriesMax = 128;
/** Value bytes after which a chunk is cut short (it always holds at least one key). */
export const transferChunkBytesMax = 1024 * 1024;
/** Transfers one node sends at once; the rest wait their turn. */
export const transfersConcurrentMax = 2;
/** A chunk not acknowledged within this is sent again (the receiver merges idempotently). */
export const transferAckTimeoutMs = 10_000;
/** Pause before retrying a chunk that failed (receiver down or refused). */
export const transferRetryDelayMs = 1_000;
/** Finished transfers a node remembers for `kvorum transfers`. */
export const transfersFinishedKeptMax = 256;
