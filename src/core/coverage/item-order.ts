/**
 * The orders a listing merges its partitions' streams in: the order each replica's storage holds
 * them (storage/keys.ts lays out partition | bucket length | bucket | key), so that one partition's
 * items arrive already sorted and the merge needs no more than one chunk of each.
 */

/**
 * Keys: by their UTF-8 bytes, which is code point order — not JavaScript's string order, which
 * sorts the code units of astral characters (surrogates) before U+E000…U+FFFF.
 */
export function compareKeys(a: string, b: string): number {
  const shared = Math.min(a.length, b.length);
  for (let i = 0; i < shared; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x - y;
    if (x > 0xffff) i++; // both are the same astral character: skip its low surrogate
  }
  return a.length - b.length;
}

/** Bucket names (A-Z a-z 0-9 _ . -): shorter first, as their length byte leads, then by bytes. */
export function compareBucketNames(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}
