/**
 * What one replica stores for a key — siblings plus their causal context — as a value: its
 * invariants, equality and the questions callers ask of it. The operations that make new
 * objects (coordinate a write, merge two replicas' versions) live in object.ts.
 */
import { assertFailed } from '../assert.ts';
import { hiddenField } from '../hidden-field.ts';
import { actorProblem, compareDots, formatDot } from './actor.ts';
import { causalContextProblem, contextCovers, contextsEqual, covers, isCounter, isTimeMs } from './causal-context.ts';
import { describeValue } from './describe-value.ts';
import { limits } from '../limits.ts';
import { contentTypeProblem } from '../validate.ts';
import { objectBytes, objectBytesWithin } from './object-bytes.ts';
import type { Dot, Sibling, StoredObject } from './types.ts';

/** Siblings that hold a value (not tombstones). */
export function liveSiblings(object: StoredObject): readonly Sibling[] {
  return object.siblings.filter((sibling) => !sibling.deleted);
}

/** A key whose every sibling is a tombstone: reads answer not-found, but the tombstones stay. */
export function isDeleted(object: StoredObject): boolean {
  return object.siblings.length > 0 && object.siblings.every((sibling) => sibling.deleted);
}

/** `newer` has seen everything `older` has: storing `newer` loses nothing `older` knew. */
export function supersedes(newer: StoredObject, older: StoredObject): boolean {
  return contextCovers(newer.context, older.context);
}

/**
 * From this many bytes Node's native compare is cheaper than a loop here (56 against 223 ns for a
 * 170-byte value; 51 against 18 for 16 bytes): values are compared on every get's replies.
 */
const nativeCompareBytesMin = 64;

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  if (a.length >= nativeCompareBytesMin) return Buffer.compare(a, b) === 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) return false;
  }
  return true;
}

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  if (a.length >= nativeCompareBytesMin && b.length >= nativeCompareBytesMin) return Buffer.compare(a, b);
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    if (a[i] !== b[i]) return a[i]! - b[i]!;
  }
  return a.length - b.length;
}

export function siblingsEqual(a: Sibling, b: Sibling): boolean {
  return (
    compareDots(a.dot, b.dot) === 0 &&
    a.lastModifiedMs === b.lastModifiedMs &&
    a.deleted === b.deleted &&
    a.contentType === b.contentType &&
    bytesEqual(a.value, b.value)
  );
}

/**
 * A total order on everything a sibling holds but its dot. Two siblings with one dot are one
 * write event and should be identical; if a bug or a reused dot ever makes them differ, merges
 * pick the greater by this order on every replica, so they still converge.
 */
export function compareSiblingContents(a: Sibling, b: Sibling): number {
  if (a.lastModifiedMs !== b.lastModifiedMs) return a.lastModifiedMs - b.lastModifiedMs;
  if (a.deleted !== b.deleted) return a.deleted ? 1 : -1;
  if (a.contentType !== b.contentType) return a.contentType < b.contentType ? -1 : 1;
  return compareBytes(a.value, b.value);
}

export function objectsEqual(a: StoredObject, b: StoredObject): boolean {
  if (a === b) return true;
  if (a.siblings.length !== b.siblings.length || !contextsEqual(a.context, b.context)) return false;
  return a.siblings.every((sibling, i) => siblingsEqual(sibling, b.siblings[i]!));
}

/** Why `value` is not a valid sibling, or null. */
export function siblingProblem(value: unknown): string | null {
  if (typeof value !== 'object' || value === null) return `sibling must be an object, got ${describeValue(value)}`;
  const sibling = value as Partial<Record<keyof Sibling, unknown>>;
  const dot = sibling.dot;
  if (!Array.isArray(dot) || dot.length !== 2) return `sibling dot must be [actor, counter], got ${describeValue(dot)}`;
  const problem = actorProblem(dot[0]);
  if (problem !== null) return `sibling dot: ${problem}`;
  if (!isCounter(dot[1])) return `sibling dot counter must be a positive safe integer, got ${describeValue(dot[1])}`;
  if (!(sibling.value instanceof Uint8Array)) return `sibling value must be bytes, got ${describeValue(sibling.value)}`;
  if (typeof sibling.contentType !== 'string') return `sibling contentType must be a string, got ${describeValue(sibling.contentType)}`;
  if (!isTimeMs(sibling.lastModifiedMs)) {
    return `sibling lastModifiedMs must be a non-negative safe integer, got ${describeValue(sibling.lastModifiedMs)}`;
  }
  if (typeof sibling.deleted !== 'boolean') return `sibling deleted must be a boolean, got ${describeValue(sibling.deleted)}`;
  return null;
}

/**
 * Marks an object found valid: objects never change, so each is checked once (a decoded peer
 * message would be checked twice otherwise). A field no copy of the object carries (hidden-field.ts).
 */
const checked = hiddenField<true>();

/**
 * Why `value` is not a valid stored object, or null: a canonical context, valid siblings
 * sorted by dot without duplicates, and every sibling's dot covered by the context.
 * Checks shapes too, so decoders of untrusted bytes can use it.
 */
export function storedObjectProblem(value: unknown): string | null {
  if (typeof value !== 'object' || value === null) return `stored object must be an object, got ${describeValue(value)}`;
  if (checked.get(value) === true) return null;
  const problem = objectProblem(value);
  if (problem === null) checked.setOnce(value, true);
  return problem;
}

function objectProblem(value: object): string | null {
  const { siblings, context } = value as { siblings?: unknown; context?: unknown };
  const contextProblem = causalContextProblem(context);
  if (contextProblem !== null) return contextProblem;
  if (!Array.isArray(siblings)) return `siblings must be an array, got ${describeValue(siblings)}`;
  const object = value as StoredObject;
  for (let i = 0; i < siblings.length; i++) {
    const problem = siblingProblem(siblings[i]);
    if (problem !== null) return `sibling ${i}: ${problem}`;
    const dot: Dot = object.siblings[i]!.dot;
    if (i > 0 && compareDots(object.siblings[i - 1]!.dot, dot) >= 0) return `siblings must be sorted by dot without duplicates (sibling ${i})`;
    if (!covers(object.context, dot)) return `sibling ${formatDot(dot)} is not covered by the object's context`;
  }
  return null;
}

/**
 * Why an object from a peer is not one this node may take, or null: a valid stored object within
 * the hard bound every merge keeps (object-bound.ts) — no more than `siblingsHardMax` siblings,
 * `objectBytesMax` bytes — and with content types a client could have stored. A correct peer never
 * sends more (it bounds what it merges and what it reads from disk); a buggy one must not make this
 * node hold an object no message can carry.
 */
export function peerObjectProblem(value: unknown): string | null {
  const problem = storedObjectProblem(value);
  if (problem !== null) return problem;
  const object = value as StoredObject;
  if (object.siblings.length > limits.siblingsHardMax) return `object holds ${object.siblings.length} siblings, more than ${limits.siblingsHardMax}`;
  for (const sibling of object.siblings) {
    const contentType = contentTypeProblem(sibling.contentType);
    if (contentType !== null) return `sibling ${formatDot(sibling.dot)}: ${contentType}`;
  }
  if (objectBytesWithin(object, limits.objectBytesMax)) return null;
  return `object is ${objectBytes(object)} bytes, more than ${limits.objectBytesMax}`;
}

export function assertStoredObject(object: StoredObject): void {
  const problem = storedObjectProblem(object);
  if (problem !== null) assertFailed(`invalid stored object: ${problem}`);
}
