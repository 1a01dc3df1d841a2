/**
 * An update refused with `too_many_siblings`, carried out as the error tells an application to:
 * read the key, then put again with that read's context, which supersedes every sibling the read
 * saw (Dynamo §4.4). Under a write-only load at C = 64 and more, the writers of a hot key can
 * add siblings faster than one such round resolves them (in the full run of 2026-12-07, 556 of
 * 11,673 rounds ended refused again, docs/benchmarks.md), so rounds repeat, up to a bound: a
 * key that cannot be resolved within it is a failed operation, not a harness that spins.
 */
export const siblingResolutionRoundsMax = 10;

/**
 * Puts with `put` (false: refused with too_many_siblings; it throws on any other failure); while
 * refused, reads with `read` (which keeps the read's context for the next put) and tries again,
 * calling `onRound` for each round. False if still refused after `siblingResolutionRoundsMax` rounds.
 */
export async function putResolvingSiblings(put: () => Promise<boolean>, read: () => Promise<void>, onRound: () => void): Promise<boolean> {
  if (await put()) return true;
  for (let round = 1; round <= siblingResolutionRoundsMax; round++) {
    onRound();
    await read();
    if (await put()) return true;
  }
  return false;
}
