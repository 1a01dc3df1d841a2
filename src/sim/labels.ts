/**
 * Write labels: every simulated write puts a unique ASCII label as its value (`w17`), and a
 * delete puts one into its tombstone (`d18`), so that every sibling anywhere names the client
 * write that made it.
 */
const encoder = new TextEncoder();

export function labelBytes(label: string): Uint8Array {
  return encoder.encode(label);
}

/** The label a value carries (labels are short ASCII; anything else still decodes, for reports). */
export function labelOf(value: Uint8Array): string {
  return value.length <= 64 ? String.fromCharCode(...value) : `<${value.length} bytes>`;
}

/** Dots count per key (DVV counters live in each key's object), so a dot names a write only with its key. */
export function dotKey(bucket: string, key: string, dot: readonly [string, number]): string {
  return `${bucket}\u0000${key}\u0000${dot[0]}:${dot[1]}`;
}
