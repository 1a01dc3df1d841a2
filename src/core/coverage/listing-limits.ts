/**
 * Limits of listing keys and buckets (issue 12 §6), named with their units last. A listing reads
 * every partition of the ring, a chunk at a time from one replica each (coverage-plan.ts), and
 * holds at most one chunk per partition plus the page it answers.
 */

/** Keys a page of `GET /v1/kv/{bucket}` holds by default. */
export const listKeysLimitDefault = 1_000;
/** Keys a page may hold: a page of keys of 1 KiB each is at most 10 MiB. */
export const listKeysLimitMax = 10_000;
/**
 * Bucket names `GET /v1/buckets` answers at most (it is not paged): beyond, the answer is cut
 * there and says `truncated`.
 */
export const bucketsListedMax = 10_000;
/** Items one read of one partition returns at most. */
export const listChunkItemsMax = 256;
/** Items one read asks for at least (a page of few keys over many partitions still reads a few). */
export const listChunkItemsMin = 16;
/**
 * Key bytes all partitions' chunks of one listing may hold at once: each read asks for this
 * divided by the partition count (listChunkSizes).
 */
export const listBufferBytesMax = 8 * 1024 * 1024;

/**
 * Items and key bytes one read of one partition asks for: items enough for about twice the page's
 * share of each partition (listChunkItemsMin to listChunkItemsMax), and an equal share of
 * listBufferBytesMax — so that all partitions' chunks together stay within it, whatever the
 * partition count (a read may pass its bytes by one key: it answers at least one item).
 */
export function listChunkSizes(limit: number, partitions: number): { readonly items: number; readonly bytes: number } {
  return {
    items: Math.min(listChunkItemsMax, Math.max(listChunkItemsMin, Math.ceil((2 * limit) / partitions))),
    bytes: Math.floor(listBufferBytesMax / partitions),
  };
}

/**
 * Stored entries one read examines at most: tombstones are skipped, not listed, so a partition
 * of tombstones is read in bounded steps (the read answers where it stopped).
 */
export const listReadEntriesMax = 4_096;
/** A replica that has not answered a read for this long is given up for the next one of the partition. */
export const listReadTimeoutMs = 2_000;
/** Listings one node coordinates at once; one more is answered `overloaded`. */
export const listingsConcurrentMax = 8;
