/**
 * kvorum's storage key layout (DESIGN §8). Every key starts with a namespace byte; data keys
 * then put the partition first, so that one partition is one contiguous key range that can be
 * scanned, hashed for anti-entropy (Dynamo §4.7) and handed to a new owner (§4.9) on its own,
 * without touching any other partition:
 *
 *   meta   0x00 | name UTF-8                                   node-local facts (incarnation, ring view)
 *   data   0x01 | partition u16 BE | bucket length u8 | bucket UTF-8 | key UTF-8
 *   hints  0x02 | …                                            reserved for hinted handoff (§4.6)
 *
 * The partition is big-endian so that byte order is numeric order. The bucket is length-prefixed
 * so that a bucket is a prefix no other bucket shares ("ab" + key "c" ≠ "a" + key "bc"); the key
 * runs to the end, which needs no length and keeps keys in byte order within a bucket.
 * Hints live in their own namespace, apart from owned data: a partition scan never sees them.
 */
import { assert, assertFailed } from '../core/assert.ts';
import { KvorumError } from '../core/errors.ts';
import { limits } from '../core/limits.ts';
import { hasLoneSurrogate, utf8BytesPerCodeUnitMax } from '../core/version/actor.ts';
import { pooledCopy, prefixSuccessor } from './bytes.ts';
import type { KeyRange } from './engine.ts';
import { storageKeyBytesMax } from './guards.ts';

export const keyNamespace = { meta: 0x00, data: 0x01, hints: 0x02 } as const;

/** The partition field is a u16; rings have at most limits.partitionCountMax (1024) partitions. */
export const partitionIndexMax = 0xffff;
/** The bucket length field is a u8 (bucket names are far shorter: limits.bucketBytesMax). */
export const bucketFieldBytesMax = 0xff;

const dataHeaderBytes = 4; // namespace, partition (2), bucket length

/**
 * The longest key a user may configure (`keyBytesMax`): what is left of the storage engine's key
 * limit (LMDB's 1978 bytes) after the data key's header and the longest bucket name.
 */
export const userKeyBytesMax = storageKeyBytesMax - dataHeaderBytes - limits.bucketBytesMax;
const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
/**
 * Where a data key is assembled before its one copy is returned (every request makes one or
 * two): no buffer per part. Room for any key the engine accepts (storageKeyBytesMax), at the
 * most bytes per code unit UTF-8 can take.
 */
const keyScratch = new Uint8Array(dataHeaderBytes + utf8BytesPerCodeUnitMax * storageKeyBytesMax);

/** Views of `keyScratch` from each offset, made once: `encodeInto` needs one per part, and a new one per key was garbage. */
const keyScratchViews: Uint8Array[] = [];

function keyScratchFrom(offset: number): Uint8Array {
  return (keyScratchViews[offset] ??= keyScratch.subarray(offset));
}

export interface DataKeyParts {
  readonly partition: number;
  readonly bucket: string;
  readonly key: string;
}

/**
 * Writes `text` as UTF-8 into `keyScratch` at `offset` and answers where it ends. ASCII (bucket
 * names always, most keys) is copied a character at a time: `encodeInto` is a call into the
 * runtime and an object for its answer (a data key took 254 ns with it, 188 without).
 */
function writeUtf8(text: string, offset: number): number {
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0x80) return offset + utf8Encoder.encodeInto(text, keyScratchFrom(offset)).written;
    keyScratch[offset + i] = unit;
  }
  return offset + text.length;
}

export function dataKey(partition: number, bucket: string, key: string): Uint8Array {
  assertPartition(partition);
  assertWellFormed(bucket, 'bucket');
  assertWellFormed(key, 'key');
  // A UTF-16 code unit takes at most 3 bytes of UTF-8; keys too long for the scratch buffer are
  // too long for the engine too, which will say so — they take the slow way there.
  if (dataHeaderBytes + utf8BytesPerCodeUnitMax * (bucket.length + key.length) > keyScratch.length) {
    return assembleDataKey(partition, utf8Encoder.encode(bucket), utf8Encoder.encode(key));
  }
  const bucketBytes = writeUtf8(bucket, dataHeaderBytes) - dataHeaderBytes;
  if (!(bucketBytes <= bucketFieldBytesMax)) assertFailed(`bucket is ${bucketBytes} bytes, the layout holds ${bucketFieldBytesMax}`);
  const end = writeUtf8(key, dataHeaderBytes + bucketBytes);
  writeDataHeader(keyScratch, partition, bucketBytes);
  // Keys live as long as a store op or the write buffer's next commit: pooled (bytes.ts).
  return pooledCopy(keyScratch, end);
}

function assembleDataKey(partition: number, bucketBytes: Uint8Array, keyBytes: Uint8Array): Uint8Array {
  if (!(bucketBytes.length <= bucketFieldBytesMax)) assertFailed(`bucket is ${bucketBytes.length} bytes, the layout holds ${bucketFieldBytesMax}`);
  const bytes = new Uint8Array(dataHeaderBytes + bucketBytes.length + keyBytes.length);
  writeDataHeader(bytes, partition, bucketBytes.length);
  bytes.set(bucketBytes, dataHeaderBytes);
  bytes.set(keyBytes, dataHeaderBytes + bucketBytes.length);
  return bytes;
}

function writeDataHeader(bytes: Uint8Array, partition: number, bucketBytes: number): void {
  bytes[0] = keyNamespace.data;
  bytes[1] = partition >>> 8;
  bytes[2] = partition & 0xff;
  bytes[3] = bucketBytes;
}

/** Inverse of dataKey. Bytes that are not a data key (they may come from a peer) are bad_key. */
export function decodeDataKey(bytes: Uint8Array): DataKeyParts {
  if (bytes.length < dataHeaderBytes || bytes[0] !== keyNamespace.data) {
    throw new KvorumError('bad_key', 'not a data key: too short or wrong namespace');
  }
  const partition = (bytes[1]! << 8) | bytes[2]!;
  const bucketEnd = dataHeaderBytes + bytes[3]!;
  if (bucketEnd > bytes.length) throw new KvorumError('bad_key', 'data key is shorter than its bucket length');
  return {
    partition,
    bucket: decodeUtf8(bytes.subarray(dataHeaderBytes, bucketEnd), 'bucket'),
    key: decodeUtf8(bytes.subarray(bucketEnd), 'key'),
  };
}

/** Exactly the data keys of one partition. */
export function partitionRange(partition: number): KeyRange {
  assertPartition(partition);
  return prefixRange(Uint8Array.of(keyNamespace.data, partition >>> 8, partition & 0xff));
}

/** Exactly the data keys of one bucket within one partition. */
export function bucketRange(partition: number, bucket: string): KeyRange {
  const prefix = dataKey(partition, bucket, '');
  return prefixRange(prefix);
}

export function metaKey(name: string): Uint8Array {
  const nameBytes = encodeUtf8(name, 'meta name');
  assert(nameBytes.length >= 1, 'meta key name must not be empty');
  const bytes = new Uint8Array(1 + nameBytes.length);
  bytes[0] = keyNamespace.meta;
  bytes.set(nameBytes, 1);
  return bytes;
}

/** Every key that starts with `prefix`. The prefixes here always start with a namespace < 0xff. */
function prefixRange(prefix: Uint8Array): KeyRange {
  const lt = prefixSuccessor(prefix);
  assert(lt !== undefined, 'a key prefix of only 0xff bytes has no upper bound');
  return { gte: prefix, lt };
}

function assertPartition(partition: number): void {
  if (!(Number.isInteger(partition) && partition >= 0 && partition <= partitionIndexMax)) assertFailed(`partition ${partition} is not a u16`);
}

function encodeUtf8(text: string, what: string): Uint8Array {
  assertWellFormed(text, what);
  return utf8Encoder.encode(text);
}

/** A lone UTF-16 surrogate: TextEncoder would silently turn it into U+FFFD, so two keys would collide. */
function assertWellFormed(text: string, what: string): void {
  if (hasLoneSurrogate(text)) assertFailed(`${what} contains a lone UTF-16 surrogate`);
}

function decodeUtf8(bytes: Uint8Array, what: string): string {
  try {
    return utf8Decoder.decode(bytes);
  } catch {
    throw new KvorumError('bad_key', `data key ${what} is not valid UTF-8`);
  }
}

/**
 * A hint record's key (Dynamo §4.6): the data key's layout in the hints namespace, so hints of a
 * key sort together and a scan of the namespace walks them in (partition, bucket, key) order.
 */
export function hintKey(partition: number, bucket: string, key: string): Uint8Array {
  const bytes = dataKey(partition, bucket, key);
  bytes[0] = keyNamespace.hints;
  return bytes;
}

/** Inverse of hintKey. */
export function decodeHintKey(bytes: Uint8Array): DataKeyParts {
  if (bytes[0] !== keyNamespace.hints) throw new KvorumError('bad_key', 'not a hint key: wrong namespace');
  const asData = Uint8Array.from(bytes);
  asData[0] = keyNamespace.data;
  return decodeDataKey(asData);
}

/** Every hint record, from just after `after` (a hint key) when given. */
export function hintsRange(after?: Uint8Array): KeyRange {
  const all = prefixRange(Uint8Array.of(keyNamespace.hints));
  return after === undefined ? all : { ...all, gte: prefixSuccessorOfKey(after) };
}

/** The smallest key greater than `key`: the key with a zero byte appended. */
function prefixSuccessorOfKey(key: Uint8Array): Uint8Array {
  const next = new Uint8Array(key.length + 1);
  next.set(key);
  return next;
}
