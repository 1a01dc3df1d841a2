/**
 * Length-prefixed framing (DESIGN §9): each frame is a 4-byte big-endian body length followed
 * by the body. The decoder accepts the byte stream in whatever chunks TCP hands it and yields
 * whole bodies, each as a range of a buffer of the decoder's own, never of the caller's chunk:
 * consecutive whole frames are copied out of it together, in runs of up to
 * `frameCopyRunBytesMax` (a frame split across chunks is put together, once, when its last byte
 * arrives). So a value decoded from a body and kept never pins the socket's chunk (up to 64 KiB),
 * and one copy and one msgpack `DataView` serve many frames, not one each (wire/codec.ts).
 */
import { assertFailed } from '../core/assert.ts';
import { limits } from '../core/limits.ts';
import { WireProtocolError } from './wire-error.ts';

export const frameHeaderBytes = 4;
/**
 * Consecutive whole frames are copied out of a chunk together up to this many bytes: one copy and
 * one msgpack `DataView` for many frames, while a value kept from one of them pins no more than
 * a small frame's copy always did (Node's 8 KiB pool slab, wire/codec.ts), not the whole read.
 */
export const frameCopyRunBytesMax = 8 * 1024;
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

/** A frame's body: bytes `start`…`end` of `frames`, a buffer the decoder made and hands over. */
export type OnFrame = (frames: Buffer, start: number, end: number) => void;

/**
 * Turns a byte stream into frame bodies. `push` calls `onFrame` once per complete frame, in
 * order, synchronously. A declared length above `frameBytesMax` (as it is when the frame's turn
 * comes: a handshake's callback may raise it for the frames behind) throws WireProtocolError
 * before the frame is handed out, and before any of a body still to come is buffered; after any
 * throw, from here or from `onFrame`, the decoder's state is undefined and the connection must
 * be closed.
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

  push(chunk: Buffer, onFrame: OnFrame): void {
    if (chunk.length === 0) return;
    if (this.partialBytes === 0) {
      this.parseWhole(chunk, onFrame);
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
    onFrame(frame, frameHeaderBytes, frame.length);
    if (overflowBytes > 0) this.parseWhole(chunk.subarray(chunk.length - overflowBytes), onFrame);
  }

  /**
   * Hands out every complete frame of `chunk`, copied out of it in runs of consecutive frames of
   * at most `frameCopyRunBytesMax` together (a larger frame alone); keeps the incomplete tail.
   */
  private parseWhole(chunk: Buffer, onFrame: OnFrame): void {
    let offset = 0;
    for (;;) {
      // The run's end. A frame over the limit ends it uncopied and starts the next run, so it is
      // judged after the callbacks of the frames before it (a handshake's may raise the limit),
      // and refused from its header alone (below) if it is still over.
      let runEnd = offset;
      while (chunk.length - runEnd >= frameHeaderBytes) {
        const bodyBytes = chunk.readUInt32BE(runEnd);
        const frameEnd = runEnd + frameHeaderBytes + bodyBytes;
        if (bodyBytes > this.frameBytesMax || frameEnd > chunk.length || (runEnd > offset && frameEnd - offset > frameCopyRunBytesMax)) break;
        runEnd = frameEnd;
      }
      if (runEnd === offset) break;
      // Pooled when small (Buffer.poolSize / 2): a slice of a shared slab, not an allocation of its own.
      const frames = Buffer.allocUnsafe(runEnd - offset);
      chunk.copy(frames, 0, offset, runEnd);
      for (let at = 0; at < frames.length; ) {
        const start = at + frameHeaderBytes;
        at = start + this.checkedBodyBytes(frames.readUInt32BE(at));
        onFrame(frames, start, at);
      }
      offset = runEnd;
    }
    if (offset < chunk.length) {
      if (chunk.length - offset >= frameHeaderBytes) this.partialFrameBytes = frameHeaderBytes + this.checkedBodyBytes(chunk.readUInt32BE(offset));
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
