/**
 * Message bodies are msgpack (DESIGN §9). One Packr serves the whole process, configured so
 * that any two processes agree without shared state — two nodes, or a node and a client in any
 * language: no records or shared structures (a peer that restarted would not know them), no
 * msgpackr-only extension types for typed arrays, so that a Uint8Array travels as plain msgpack
 * `bin` and comes back as bytes (a Buffer, which is a Uint8Array).
 *
 * A stored value must never pin the socket chunk (up to 64 KiB) it arrived in, so bodies are
 * decoded where the frame decoder copied them (framing.ts: consecutive frames copied out of the
 * chunk together, in runs of up to 8 KiB), and their `bin` fields are views into that copy. One
 * copy for many frames — into Node's pool of small buffers when under 4 KiB — costs less than
 * msgpackr's copy of each `bin` (`copyBuffers`), a fresh allocation outside V8's heap per value
 * for malloc and the GC's sweeper (~1 µs per message with a value, measured). The price: a `bin`
 * kept keeps its run's copy alive (at most 8 KiB, or its own frame when larger), or the 8 KiB
 * pool slab a small one shares. A node keeps values only while requests run and until the write
 * buffer's next commit; the client copies the values it hands to applications
 * (client/binary-channel.ts).
 *
 * Frames are views into msgpackr's write buffer, which msgpackr keeps in module state and
 * never overwrites by itself. Nothing else in the process may call `useBuffer()` or pass
 * REUSE_BUFFER_MODE / RESET_BUFFER_MODE to msgpackr 2.x, or a frame still queued here could be
 * overwritten (lmdb bundles its own msgpackr 1.x, which is a separate module).
 */
import { addExtension, Packr, RESERVE_START_SPACE } from 'msgpackr';
import { frameHeaderBytes } from './framing.ts';
import { WireProtocolError } from './wire-error.ts';

/**
 * Extension types msgpackr decodes by itself, whatever a Packr's options say: BigInt (0x42),
 * bundled strings (0x62, whose length moves the read position: a body could read on past its end
 * into the frame behind it and still decode), Error, structured-clone references, Set, typed
 * arrays, RegExp and Date (0xff). No message of kvorum's carries one — msgpackr's `undefined`
 * (ext 0) is the only extension it sends — so from a peer or a client they are refused. msgpackr
 * keeps extensions per process: this holds for each of its decoders here, which decode nothing
 * else that carries them (stored objects, context tokens, hint records).
 */
export const refusedExtensionTypes: readonly number[] = [0x42, 0x62, 0x65, 0x69, 0x70, 0x73, 0x74, 0x78, 0xff];
for (const type of refusedExtensionTypes) {
  addExtension({
    type,
    unpack() {
      throw new Error(`msgpack extension type ${type} is not part of kvorum's protocols`);
    },
  });
}

const packr = new Packr({
  useRecords: false,
  moreTypes: false,
  structuredClone: false,
  bundleStrings: false,
  copyBuffers: false,
  mapsAsObjects: true,
});

/**
 * A whole frame (header and msgpack body) in one buffer, without copying the body: msgpackr
 * leaves `frameHeaderBytes` free in front of the body and the length is written there.
 */
export function encodeMessageFrame(message: unknown): Buffer {
  const frame = packr.pack(message, RESERVE_START_SPACE | frameHeaderBytes);
  frame.writeUInt32BE(frame.length - frameHeaderBytes, 0);
  return frame;
}

/** Bytes of the body inside a frame from `encodeMessageFrame`. */
export function frameBodyBytes(frame: Buffer): number {
  return frame.length - frameHeaderBytes;
}

/**
 * The message in bytes `start`…`end` of `frames` (the whole of it by default), decoded in place:
 * its `bin` fields are views into `frames`, which must not change afterwards. msgpackr keeps one
 * `DataView` per buffer it decodes, so the frames of one copy (framing.ts) share one.
 */
export function decodeMessage(frames: Buffer, start = 0, end = frames.length): unknown {
  if (end <= start) throw new WireProtocolError('malformed_frame', 'empty frame body');
  try {
    return packr.unpack(frames, { start, end });
  } catch (error) {
    throw new WireProtocolError('malformed_frame', `frame body is not valid msgpack: ${(error as Error).message}`, {
      bodyBytes: end - start,
    });
  }
}
