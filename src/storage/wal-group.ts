/**
 * One group of the write-ahead log (write-ahead-log.ts) as bytes: the writes one append makes
 * durable, in the order they were made, each known by its ordinal (the write buffer numbers every
 * write it takes, storage/write-buffer.ts). A group is written whole with one pwrite and checked
 * whole when read back: a torn group (a crash mid-append) fails its checksum and ends the log.
 * Each group carries its segment's salt, drawn anew each time the segment is (re)started, so a
 * group left from an earlier use of the segment, or group-shaped bytes inside a value, never
 * pass for one of its current groups.
 *
 * Layout, little-endian:
 *   header (32 bytes): magic u32 · body bytes u32 · CRC-32 u32 of everything after it · write count u32 · first ordinal f64 · salt 8 bytes
 *   body, per write:   value bytes u32 (0xFFFFFFFF: a delete) · key bytes u32 · key · value
 * The ordinal is a float64 holding an integer below 2^53: a node would need ~285 years at a
 * million writes a second to run out.
 */
import { crc32 } from 'node:zlib';
import { assert, assertFailed } from '../core/assert.ts';
import type { WriteOp } from './engine.ts';

/** A buffered write as the log holds it: its new value, or null for a delete. */
export interface LoggedWrite {
  readonly key: Uint8Array;
  readonly value: Uint8Array | null;
}

export interface WalGroup {
  readonly firstOrdinal: number;
  /** The salt of the segment use that wrote it. */
  readonly salt: Buffer;
  readonly writes: WriteOp[];
  /** Where the next group starts in the bytes it was read from. */
  readonly end: number;
}

export const walGroupHeaderBytes = 32;
export const walSaltBytes = 8;
const groupMagic = 0x4b_57_41_4c; // "KWAL"
const deleteMark = 0xff_ff_ff_ff;
const writeHeaderBytes = 8;

/** The length of the group holding `writes`. */
function walGroupBytes(writes: readonly LoggedWrite[]): number {
  let bytes = walGroupHeaderBytes;
  for (const write of writes) bytes += writeHeaderBytes + write.key.byteLength + (write.value?.byteLength ?? 0);
  return bytes;
}

/** The bytes of one group holding `writes`, the first of which has ordinal `firstOrdinal`. */
export function encodeWalGroup(firstOrdinal: number, writes: readonly LoggedWrite[], salt: Buffer): Buffer {
  if (!(Number.isSafeInteger(firstOrdinal) && firstOrdinal >= 0)) assertFailed(`bad first ordinal ${firstOrdinal}`);
  assert(salt.length === walSaltBytes, 'bad write-ahead log salt');
  const bytes = Buffer.allocUnsafe(walGroupBytes(writes));
  const bodyBytes = bytes.length - walGroupHeaderBytes;
  bytes.writeUInt32LE(groupMagic, 0);
  bytes.writeUInt32LE(bodyBytes, 4);
  bytes.writeUInt32LE(writes.length, 12);
  bytes.writeDoubleLE(firstOrdinal, 16);
  bytes.set(salt, 24);
  let at = walGroupHeaderBytes;
  for (const { key, value } of writes) {
    bytes.writeUInt32LE(value === null ? deleteMark : value.byteLength, at);
    bytes.writeUInt32LE(key.byteLength, at + 4);
    at += writeHeaderBytes;
    bytes.set(key, at);
    at += key.byteLength;
    if (value !== null) {
      bytes.set(value, at);
      at += value.byteLength;
    }
  }
  bytes.writeUInt32LE(crc32(bytes.subarray(12)), 8);
  return bytes;
}

/**
 * The group starting at `offset` of `bytes`, or undefined where there is none: zeros (a segment's
 * unwritten space), a torn or stale group, or the end. Values are views into `bytes`.
 */
export function decodeWalGroup(bytes: Buffer, offset: number): WalGroup | undefined {
  if (offset + walGroupHeaderBytes > bytes.length || bytes.readUInt32LE(offset) !== groupMagic) return undefined;
  const bodyBytes = bytes.readUInt32LE(offset + 4);
  const end = offset + walGroupHeaderBytes + bodyBytes;
  if (end > bytes.length || crc32(bytes.subarray(offset + 12, end)) !== bytes.readUInt32LE(offset + 8)) return undefined;
  const count = bytes.readUInt32LE(offset + 12);
  const firstOrdinal = bytes.readDoubleLE(offset + 16);
  const salt = bytes.subarray(offset + 24, offset + walGroupHeaderBytes);
  // A checksum that matches over garbage is ~2^-32 unlikely; the shape is checked all the same.
  if (!Number.isSafeInteger(firstOrdinal) || firstOrdinal < 0) return undefined;
  const writes: WriteOp[] = [];
  let at = offset + walGroupHeaderBytes;
  for (let i = 0; i < count; i++) {
    if (at + writeHeaderBytes > end) return undefined;
    const valueBytes = bytes.readUInt32LE(at);
    const keyBytes = bytes.readUInt32LE(at + 4);
    at += writeHeaderBytes;
    const valueLength = valueBytes === deleteMark ? 0 : valueBytes;
    if (at + keyBytes + valueLength > end) return undefined;
    const key = new Uint8Array(bytes.buffer, bytes.byteOffset + at, keyBytes);
    at += keyBytes;
    if (valueBytes === deleteMark) writes.push({ type: 'delete', key });
    else {
      writes.push({ type: 'put', key, value: new Uint8Array(bytes.buffer, bytes.byteOffset + at, valueLength) });
      at += valueLength;
    }
  }
  return at === end ? { firstOrdinal, salt, writes, end } : undefined;
}
