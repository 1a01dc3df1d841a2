/**
 * Length-prefixed framing (DESIGN §9): each frame is a 4-byte big-endian body length followed
 * by the body. The decoder accepts the byte stream in whatever chunks TCP hands it and yields
 * whole bodies. Bodies that lie inside one chunk are handed out as views of that chunk (no
 * copy); only a frame split across chunks is copied, once, when its last byte arrives.
 */
import { assertFailed } from '../core/assert.ts';
import { limits } from '../core/limits.ts';
import { WireProtocolError } from './wire-error.ts';

export const frameHeaderBytes = 4;
/** The header is a uint32: no body can be longer, whatever a caller configures. */
const frameBodyBytesLimit = 0xffff_ffff;

function frameTooLarge(bodyBytes: number, frameBytesMax: number): WireProtocolError {
  return new WireProtocolError(
    'frame_too_large',
    `frame of ${bodyBytes} bytes exceeds the limit of ${frameBytesMax} bytes`,
    { bodyBytes, frameBytesMax },
  );
}

/** One frame as a single new buffer: header then a copy of `body`. */
export function encodeFrame(body: Uint8Array, frameBytesMax: number = limits.frameBytesMax): Buffer {
  if (body.byteLength > frameBytesMax) throw frameTooLarge(body.byteLength, frameBytesMax);
  const frame = Buffer.allocUnsafe(frameHeaderBytes + body.byteLength);
  frame.writeUInt32BE(body.byteLength, 0);
  frame.set(body, frameHeaderBytes);
  return frame;
}

/**
 * Turns a byte stream into frame bodies. `push` calls `onBody` once per complete frame, in
 * order, synchronously. A declared length above `frameBytesMax` throws WireProtocolError as
 * soon as the header is seen (before any of the body is buffered); after any throw, from here
 * or from `onBody`, the decoder's state is undefined and the connection must be closed.
 */
export class FrameDecoder {
  /** Chunks holding the start of an incomplete frame; their total length is `partialBytes`. */
  private partial: Buffer[] = [];
  private partialBytes = 0;
  /** Header plus body length of the incomplete frame, once its header is known; else -1. */
  private partialFrameBytes = -1;

  constructor(private frameBytesMax: number = limits.frameBytesMax) {
    if (!(Number.isInteger(frameBytesMax) && frameBytesMax >= 0 && frameBytesMax <= frameBodyBytesLimit)) assertFailed(`bad frameBytesMax ${frameBytesMax}`);
  }

  /** A handshake allows only small frames; the limit rises once the peer is authenticated. */
  setFrameBytesMax(frameBytesMax: number): void {
    if (!(Number.isInteger(frameBytesMax) && frameBytesMax >= 0 && frameBytesMax <= frameBodyBytesLimit)) assertFailed(`bad frameBytesMax ${frameBytesMax}`);
    this.frameBytesMax = frameBytesMax;
  }

  /** Bytes received that do not yet form a whole frame. */
  get bufferedBytes(): number {
    return this.partialBytes;
  }

  push(chunk: Buffer, onBody: (body: Buffer) => void): void {
    if (chunk.length === 0) return;
    if (this.partialBytes === 0) {
      this.parseWhole(chunk, onBody);
      return;
    }
    this.partial.push(chunk);
    this.partialBytes += chunk.length;
    if (this.partialFrameBytes < 0) {
      if (this.partialBytes < frameHeaderBytes) return;
      this.partialFrameBytes = frameHeaderBytes + this.checkedBodyBytes(this.partialHeader());
    }
    if (this.partialBytes < this.partialFrameBytes) return;
    // The frame completes inside `chunk` (it did not complete before it arrived).
    const overflowBytes = this.partialBytes - this.partialFrameBytes;
    const parts = this.partial;
    parts[parts.length - 1] = chunk.subarray(0, chunk.length - overflowBytes);
    const frame = Buffer.concat(parts, this.partialFrameBytes);
    this.resetPartial();
    onBody(frame.subarray(frameHeaderBytes));
    if (overflowBytes > 0) this.parseWhole(chunk.subarray(chunk.length - overflowBytes), onBody);
  }

  /** Emits every complete frame of `chunk` as a view; keeps the incomplete tail. */
  private parseWhole(chunk: Buffer, onBody: (body: Buffer) => void): void {
    let offset = 0;
    while (chunk.length - offset >= frameHeaderBytes) {
      const bodyBytes = this.checkedBodyBytes(chunk.readUInt32BE(offset));
      const end = offset + frameHeaderBytes + bodyBytes;
      if (end > chunk.length) {
        this.partialFrameBytes = frameHeaderBytes + bodyBytes;
        break;
      }
      const body = chunk.subarray(offset + frameHeaderBytes, end);
      offset = end;
      onBody(body);
    }
    if (offset < chunk.length) {
      this.partial.push(chunk.subarray(offset));
      this.partialBytes = chunk.length - offset;
    }
  }

  private checkedBodyBytes(bodyBytes: number): number {
    if (bodyBytes > this.frameBytesMax) throw frameTooLarge(bodyBytes, this.frameBytesMax);
    return bodyBytes;
  }

  /** The 4 header bytes of the incomplete frame, which may straddle several small chunks. */
  private partialHeader(): number {
    let value = 0;
    let taken = 0;
    for (const part of this.partial) {
      for (let i = 0; i < part.length && taken < frameHeaderBytes; i++, taken++) value = value * 256 + part[i]!;
      if (taken === frameHeaderBytes) break;
    }
    return value;
  }

  private resetPartial(): void {
    this.partial = [];
    this.partialBytes = 0;
    this.partialFrameBytes = -1;
  }
}
