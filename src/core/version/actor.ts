/**
 * Actors and dots: their validity and their one total order. Every sorted array of versioning
 * (clock entries, cloud dots, siblings) uses this order, so that equal values have equal
 * arrays and therefore equal encoded bytes on disk and on the wire.
 */
import { describeValue } from './describe-value.ts';
import type { Actor, Dot } from './types.ts';

/** An actor is a node name plus the incarnation of its data directory; this bounds it. */
export const actorBytesMax = 128;

/** Code-unit order of JS strings: total, locale-free and the same on every node. */
export function compareActors(a: Actor, b: Actor): number {
  if (a < b) return -1;
  return a > b ? 1 : 0;
}

/** Dots order by actor, then by counter. */
export function compareDots(a: Dot, b: Dot): number {
  return compareActors(a[0], b[0]) || a[1] - b[1];
}

export function dotsEqual(a: Dot, b: Dot): boolean {
  return a[0] === b[0] && a[1] === b[1];
}

export function formatDot(dot: Dot): string {
  return `(${JSON.stringify(dot[0])}, ${dot[1]})`;
}

/**
 * Whether `text` holds a lone UTF-16 surrogate, which has no UTF-8 form (it would turn into
 * U+FFFD). Every key of every request is asked: the native check, not a regular expression.
 */
export function hasLoneSurrogate(text: string): boolean {
  return !text.isWellFormed();
}

/** The most bytes of UTF-8 one UTF-16 code unit takes (a surrogate pair, two units, takes four). */
export const utf8BytesPerCodeUnitMax = 3;

/** Bytes of `text` in UTF-8 (every string passed here is well-formed, see `actorProblem`). */
export function utf8ByteLength(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff) {
      bytes += 4; // a surrogate pair is one code point of four bytes
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/**
 * Why `actor` is not a valid actor, or null. A lone surrogate is refused because it does not
 * survive a UTF-8 round trip: two nodes would then disagree on whether two actors are equal.
 */
export function actorProblem(actor: unknown): string | null {
  if (typeof actor !== 'string') return `actor must be a string, got ${describeValue(actor)}`;
  if (actor.length === 0) return 'actor must not be empty';
  if (hasLoneSurrogate(actor)) return 'actor must be well-formed Unicode';
  const bytes = utf8ByteLength(actor);
  if (bytes > actorBytesMax) return `actor is ${bytes} bytes, more than ${actorBytesMax}`;
  return null;
}
