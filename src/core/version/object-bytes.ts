/**
 * How many bytes a stored object takes encoded, bounded from above: what limits.objectBytesMax
 * is measured in, and what transfers and anti-entropy charge to their byte budgets. An upper
 * bound of both encodings (msgpack on the wire, version/codec.ts on disk), computed from the
 * object alone so that every node gets the same number — merges truncate by it
 * (object-bound.ts) and must do so alike on every replica.
 */
import { utf8ByteLength } from './actor.ts';
import type { CausalContext, Sibling, StoredObject } from './types.ts';

/**
 * Headers, the counter, the time and the flag of one sibling, in msgpack's largest forms, with
 * the field names a message spells out (dot, value, contentType, lastModifiedMs, deleted).
 */
export const siblingFieldsBytes = 96;
/** Headers, the counter and the time of one clock entry. */
const clockEntryFieldsBytes = 24;
/** Headers and the counter of one cloud dot. */
const dotFieldsBytes = 16;
/** The object's own headers (format byte, arrays, map keys on the wire). */
const objectFieldsBytes = 64;

/** How a count measures a string: exactly (UTF-8 bytes), or from its length alone (an upper bound). */
type TextBytes = (text: string) => number;

/** A UTF-16 code unit takes at most 3 bytes of UTF-8 (a pair of them, 4): no pass over characters. */
const utf8BytesAtMost: TextBytes = (text) => 3 * text.length;

export function siblingBytes(sibling: Sibling, textBytes: TextBytes = utf8ByteLength): number {
  return siblingFieldsBytes + textBytes(sibling.dot[0]) + sibling.value.byteLength + textBytes(sibling.contentType);
}

export function contextBytes(context: CausalContext, textBytes: TextBytes = utf8ByteLength): number {
  let bytes = 0;
  for (const entry of context.clock) bytes += clockEntryFieldsBytes + textBytes(entry[0]);
  for (const dot of context.dots) bytes += dotFieldsBytes + textBytes(dot[0]);
  return bytes;
}

export function objectBytes(object: StoredObject, textBytes: TextBytes = utf8ByteLength): number {
  let bytes = objectFieldsBytes + contextBytes(object.context, textBytes);
  for (const sibling of object.siblings) bytes += siblingBytes(sibling, textBytes);
  return bytes;
}

/**
 * An upper bound of `objectBytes` from string lengths alone: a check against a limit clears
 * almost every object with it and counts exactly only the rest (`objectBytesWithin`). Same
 * answer either way, since objectBytes ≤ this.
 */
export function objectBytesAtMost(object: StoredObject): number {
  return objectBytes(object, utf8BytesAtMost);
}

/** Whether `objectBytes(object) <= bytesMax`, counting exactly only when the quick bound cannot tell. */
export function objectBytesWithin(object: StoredObject, bytesMax: number): boolean {
  return objectBytesAtMost(object) <= bytesMax || objectBytes(object) <= bytesMax;
}

/** Value bytes alone: what background work budgets and transfer progress count. */
export function valueBytes(object: StoredObject): number {
  let bytes = 0;
  for (const sibling of object.siblings) bytes += sibling.value.byteLength;
  return bytes;
}
