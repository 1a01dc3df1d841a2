/**
 * Stored objects on disk: one format-version byte, then msgpack of
 * [siblings, clock, dots], each sibling flattened to
 * [actor, counter, value, contentType, lastModifiedMs, deleted].
 *
 * Arrays rather than maps: no key names repeated per record, and no msgpackr records (which
 * would tie the bytes to shared structure definitions kept elsewhere). Values are msgpack
 * `bin`, decoded as plain Uint8Array views into the bytes — no copy per value: the bytes handed
 * to `decodeObject` are the caller's to give away (a copy read from the disk, a frame's object
 * copied out of its socket chunk, an encoding of the buffer's) and never change again.
 *
 * The encoding is canonical — every array is sorted (types.ts), so equal objects encode to equal
 * bytes — and objects are immutable, so an object's bytes are remembered beside it: an object
 * encoded once (for the disk) goes to every peer and into the anti-entropy digest without being
 * encoded again, and one decoded from bytes (from the disk or a peer) is written back as those
 * bytes when a merge keeps it as it came. Encoding is msgpackr's; decoding is object-reader.ts's,
 * which reads this one layout straight into the object.
 */
import { Packr, RESERVE_START_SPACE } from 'msgpackr';
import { KvorumError } from '../errors.ts';
import { hiddenField } from '../hidden-field.ts';
import { ObjectBodyError, readObjectBody } from './object-reader.ts';
import { storedObjectProblem } from './stored-object.ts';
import type { StoredObject } from './types.ts';

/** First byte of every encoded object; bumped when the layout changes. */
export const objectFormatVersion = 1;

const packr = new Packr({ useRecords: false });

/**
 * Each object's encoding, made or read once (objects and their bytes never change), kept on the
 * object in a field no copy, comparison or encoding of it sees (hidden-field.ts).
 */
const encodingOf = hiddenField<Uint8Array>();

export function encodeObject(object: StoredObject): Uint8Array {
  const known = encodingOf.get(object);
  if (known !== undefined) return known;
  const siblings = object.siblings.map((s) => [s.dot[0], s.dot[1], s.value, s.contentType, s.lastModifiedMs, s.deleted]);
  // Reserving the first byte lets msgpackr write the body after it: no copy to prepend it.
  const bytes = packr.pack([siblings, object.context.clock, object.context.dots], RESERVE_START_SPACE | 1);
  bytes[0] = objectFormatVersion;
  encodingOf.setOnce(object, bytes);
  return bytes;
}

function corrupt(problem: string): KvorumError {
  return new KvorumError('internal', `stored object is corrupt: ${problem}`);
}

/**
 * The object `bytes` encode. Bytes from outside (a peer, a file) are checked against every
 * invariant of a stored object, unless `checkedElsewhere`: bytes this node wrote itself, checked
 * before they were encoded, and objects in a peer's message, which the message check
 * (peer-message-check.ts) checks right after, with more than this would. `bytes` must not change
 * afterwards: they are remembered as the object's encoding.
 */
export function decodeObject(bytes: Uint8Array, checkedElsewhere = false): StoredObject {
  if (bytes.length === 0) throw corrupt('no bytes');
  if (bytes[0] !== objectFormatVersion) throw corrupt(`unknown format version ${bytes[0]}`);
  let object: StoredObject;
  try {
    object = readObjectBody(bytes, 1);
  } catch (error) {
    if (error instanceof ObjectBodyError) throw corrupt(error.message);
    throw error;
  }
  if (!checkedElsewhere) {
    const problem = storedObjectProblem(object);
    if (problem !== null) throw corrupt(problem);
  }
  encodingOf.setOnce(object, bytes);
  return object;
}

