/**
 * The reference model's dots (Preguiça, Baquero et al., "Dotted Version Vectors", 2010): a dot
 * names one write event — the `counter`-th event of `actor` for one key. Written from the
 * definition, apart from src/core/version: the checkers judge the core with this, so a bug in
 * the core's version functions cannot hide itself (issue 13 §1). Nothing here imports the core.
 */

/** One write event: the `counter`-th version `actor` made of a key (counters start at 1). */
export type ModelDot = readonly [actor: string, counter: number];

/** A dot as a map key. */
export function dotId(dot: ModelDot): string {
  return `${dot[0]}\u0000${dot[1]}`;
}

export function sameDot(a: ModelDot, b: ModelDot): boolean {
  return a[0] === b[0] && a[1] === b[1];
}

export function formatDot(dot: ModelDot): string {
  return `(${JSON.stringify(dot[0])}, ${dot[1]})`;
}

/** A dot is an actor (a non-empty string) and a positive whole counter. */
export function isDot(value: unknown): value is ModelDot {
  return Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && value[0].length > 0 && Number.isSafeInteger(value[1]) && (value[1] as number) >= 1;
}
