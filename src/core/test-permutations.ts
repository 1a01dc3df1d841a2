/**
 * Every order of a few items, for tests that play replies or deliveries in each order they could
 * arrive (the tallies, hinted handoff).
 */
export function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [items.slice()];
  return items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
}
