/**
 * Reads a stored object's body (codec.ts: msgpack of [siblings, clock, dots], each sibling
 * [actor, counter, value, contentType, lastModifiedMs, deleted]) straight into the object the
 * core uses. A general msgpack decoder made the nested arrays first and the siblings from them,
 * a DataView per buffer, and a new string for every actor and content type; every get and put
 * decodes four to five objects, and these were ~18 % of all the bytes the nodes allocated
 * (docs/benchmarks.md). Here the only allocations are the object's own parts, values are views
 * into the bytes, and the few strings objects repeat (actors, content types) come from a small
 * cache.
 *
 * Any msgpack encoding of the expected types is read, not only the shortest one the encoder
 * writes (a number may come as any width of int or float). Anything else — another type where
 * one is expected, an array of the wrong length, bytes missing or left over — throws
 * `ObjectBodyError`; the invariants of a stored object are checked by the caller
 * (stored-object.ts), not here.
 */
import type { ClockEntry, Dot, Sibling, StoredObject } from './types.ts';

export class ObjectBodyError extends Error {}

/** Fields of a sibling, of a clock entry and of a dot on the wire. */
const siblingFields = 6;
const clockEntryFields = 3;
const dotFields = 2;

/** Strings up to this many bytes go through the cache: actors are at most 128 (actor.ts), most far less. */
const cachedStringBytesMax = 64;
/** Slots of the string cache (a power of two): far more than the actors and content types a cluster uses. */
const stringCacheSlots = 256;
const stringCache: (string | undefined)[] = new Array<string | undefined>(stringCacheSlots).fill(undefined);
/** A leading U+FEFF is part of the string, as msgpack means it (a default TextDecoder drops it). */
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

const noBytes = new Uint8Array(0);
/** The bytes being read and where: module state, as a read runs to its end without yielding. */
let source: Uint8Array = noBytes;
let at = 0;

/** The object whose msgpack body is `bytes[start..]`; values are views into `bytes`. */
export function readObjectBody(bytes: Uint8Array, start: number): StoredObject {
  source = bytes;
  at = start;
  try {
    if (readArrayLength('the body') !== 3) throw new ObjectBodyError('must be [siblings, clock, dots]');
    const siblings = readSiblings();
    const clock = readClock();
    const dots = readDots();
    if (at !== bytes.length) throw new ObjectBodyError(`${bytes.length - at} more byte(s) after the object`);
    return { siblings, context: { clock, dots } };
  } finally {
    source = noBytes; // not kept alive by the reader
  }
}

function readSiblings(): Sibling[] {
  const count = readArrayLength('siblings');
  const siblings: Sibling[] = [];
  for (let i = 0; i < count; i++) {
    if (readArrayLength('a sibling') !== siblingFields) throw new ObjectBodyError(`sibling ${i} must be [actor, counter, value, contentType, lastModifiedMs, deleted]`);
    const dot: Dot = [readString('actor'), readNumber('counter')];
    siblings.push({ dot, value: readBin('value'), contentType: readString('contentType'), lastModifiedMs: readNumber('lastModifiedMs'), deleted: readBool('deleted') });
  }
  return siblings;
}

function readClock(): ClockEntry[] {
  const count = readArrayLength('clock');
  const clock: ClockEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (readArrayLength('a clock entry') !== clockEntryFields) throw new ObjectBodyError(`clock entry ${i} must be [actor, counter, lastWriteMs]`);
    clock.push([readString('actor'), readNumber('counter'), readNumber('lastWriteMs')]);
  }
  return clock;
}

function readDots(): Dot[] {
  const count = readArrayLength('dots');
  const dots: Dot[] = [];
  for (let i = 0; i < count; i++) {
    if (readArrayLength('a dot') !== dotFields) throw new ObjectBodyError(`dot ${i} must be [actor, counter]`);
    dots.push([readString('actor'), readNumber('counter')]);
  }
  return dots;
}

function readArrayLength(field: string): number {
  const type = readByte();
  if (type >= 0x90 && type <= 0x9f) return type & 0x0f;
  if (type === 0xdc) return readUint(2);
  if (type === 0xdd) return readUint(4);
  throw unexpected(field, 'an array', type);
}

function readNumber(field: string): number {
  const type = readByte();
  if (type <= 0x7f) return type;
  if (type >= 0xe0) return type - 0x100;
  switch (type) {
    case 0xcc:
      return readUint(1);
    case 0xcd:
      return readUint(2);
    case 0xce:
      return readUint(4);
    case 0xcf:
      return readUint(4) * 2 ** 32 + readUint(4);
    case 0xd0:
      return signed(readUint(1), 8);
    case 0xd1:
      return signed(readUint(2), 16);
    case 0xd2:
      return readUint(4) | 0;
    case 0xd3:
      return (readUint(4) | 0) * 2 ** 32 + readUint(4);
    case 0xca:
      return readFloat(4);
    case 0xcb:
      return readFloat(8);
    default:
      throw unexpected(field, 'a number', type);
  }
}

function readBool(field: string): boolean {
  const type = readByte();
  if (type === 0xc2) return false;
  if (type === 0xc3) return true;
  throw unexpected(field, 'a boolean', type);
}

function readBin(field: string): Uint8Array {
  const type = readByte();
  const length = type === 0xc4 ? readUint(1) : type === 0xc5 ? readUint(2) : type === 0xc6 ? readUint(4) : -1;
  if (length < 0) throw unexpected(field, 'bytes', type);
  const start = take(length);
  return new Uint8Array(source.buffer, source.byteOffset + start, length);
}

function readString(field: string): string {
  const type = readByte();
  let length: number;
  if (type >= 0xa0 && type <= 0xbf) length = type & 0x1f;
  else if (type === 0xd9) length = readUint(1);
  else if (type === 0xda) length = readUint(2);
  else if (type === 0xdb) length = readUint(4);
  else throw unexpected(field, 'a string', type);
  const start = take(length);
  return length <= cachedStringBytesMax ? cachedString(start, length) : utf8.decode(source.subarray(start, start + length));
}

/**
 * The string of `length` bytes at `start`, from the cache when it holds it. Only strings of one
 * character per byte are cached, so a hit is checked against the bytes without decoding them:
 * ASCII, or bytes that are not UTF-8 (each becomes U+FFFD, which no byte equals: never a hit).
 */
function cachedString(start: number, length: number): string {
  const bytes = source;
  const end = start + length;
  let hash = 0x811c9dc5; // FNV-1a over every byte: actors may differ anywhere
  for (let i = start; i < end; i++) hash = Math.imul(hash ^ bytes[i]!, 0x01000193);
  const slot = (hash ^ (hash >>> 16)) & (stringCacheSlots - 1);
  const cached = stringCache[slot];
  if (cached !== undefined && cached.length === length && charsAreBytes(cached, bytes, start)) return cached;
  const text = utf8.decode(bytes.subarray(start, end));
  if (text.length === length) stringCache[slot] = text;
  return text;
}

function charsAreBytes(text: string, bytes: Uint8Array, start: number): boolean {
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) !== bytes[start + i]) return false;
  }
  return true;
}

function readByte(): number {
  if (at >= source.length) throw new ObjectBodyError('cut short');
  return source[at++]!;
}

/** A big-endian unsigned integer of `bytes` (1, 2 or 4) bytes. */
function readUint(bytes: number): number {
  const start = take(bytes);
  let value = 0;
  for (let i = start; i < start + bytes; i++) value = value * 256 + source[i]!;
  return value;
}

/**
 * Floats go through one scratch buffer (a write time is a float64: msgpackr writes integers past
 * 2^32 as floats), not a DataView per number.
 */
const float64Scratch = new Float64Array(1);
const float32Scratch = new Float32Array(float64Scratch.buffer, 0, 1);
const floatScratchBytes = new Uint8Array(float64Scratch.buffer);
/** msgpack is big-endian; typed arrays are in the machine's order. */
const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function readFloat(bytes: 4 | 8): number {
  const start = take(bytes);
  for (let i = 0; i < bytes; i++) floatScratchBytes[littleEndian ? bytes - 1 - i : i] = source[start + i]!;
  return bytes === 4 ? float32Scratch[0]! : float64Scratch[0]!;
}

function signed(value: number, bits: number): number {
  return value >= 2 ** (bits - 1) ? value - 2 ** bits : value;
}

/** Moves past `length` bytes and answers where they start. */
function take(length: number): number {
  if (length > source.length - at) throw new ObjectBodyError('cut short');
  const start = at;
  at += length;
  return start;
}

function unexpected(field: string, kind: string, type: number): ObjectBodyError {
  return new ObjectBodyError(`${field} must be ${kind}, found msgpack type 0x${type.toString(16).padStart(2, '0')}`);
}
