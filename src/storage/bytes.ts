/**
 * Byte-string helpers shared by the engines and the key layout. Storage keys order by unsigned
 * bytes, shorter first on a common prefix — LMDB's default comparator (memcmp, then length) —
 * so every engine and every range computation must use exactly this order, never string order.
 */

/** Negative, zero or positive as `a` sorts before, equal to or after `b` in byte order. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const shared = Math.min(a.length, b.length);
  for (let i = 0; i < shared; i++) {
    const difference = a[i]! - b[i]!;
    if (difference !== 0) return difference;
  }
  return a.length - b.length;
}

/** A fresh copy, so that neither side can change bytes the other holds. */
export function copyBytes(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}

/**
 * The first `length` bytes of `source`, copied into Node's pool of small buffers (8 KiB slabs,
 * for copies under 4 KiB) and handed on as a plain Uint8Array view: no ArrayBuffer of its own
 * for malloc and the GC's sweeper. The copy keeps its slab alive: for short-lived bytes (a key
 * of a store op, a value read for a request), not for ones kept long.
 */
export function pooledCopy(source: Uint8Array, length = source.length): Uint8Array {
  const pooled = Buffer.allocUnsafe(length);
  pooled.set(length === source.length ? source : source.subarray(0, length));
  return new Uint8Array(pooled.buffer, pooled.byteOffset, length);
}

/** The smallest byte string greater than `bytes`: `bytes` followed by 0x00. */
export function immediateSuccessor(bytes: Uint8Array): Uint8Array {
  const successor = new Uint8Array(bytes.length + 1);
  successor.set(bytes);
  return successor;
}

/**
 * The smallest byte string greater than every string that starts with `prefix`: drop trailing
 * 0xff bytes and increment the last remaining one. Undefined when `prefix` is all 0xff (no
 * such string exists; the range is unbounded above).
 */
export function prefixSuccessor(prefix: Uint8Array): Uint8Array | undefined {
  let end = prefix.length;
  while (end > 0 && prefix[end - 1] === 0xff) end--;
  if (end === 0) return undefined;
  const successor = prefix.slice(0, end);
  successor[end - 1]! += 1;
  return successor;
}
