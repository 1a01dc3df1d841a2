import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { encodeFrame, frameCopyRunBytesMax, FrameDecoder, frameHeaderBytes } from './framing.ts';
import { decodeMessage, encodeMessageFrame, refusedExtensionTypes } from './codec.ts';
import { WireProtocolError } from './wire-error.ts';

function decodeAll(decoder: FrameDecoder, chunks: readonly Buffer[]): Buffer[] {
  const bodies: Buffer[] = [];
  for (const chunk of chunks) decoder.push(chunk, (frames, start, end) => bodies.push(Buffer.from(frames.subarray(start, end))));
  return bodies;
}

/** Cuts `bytes` at the given offsets (sorted, deduplicated, within range). */
function cut(bytes: Buffer, offsets: readonly number[]): Buffer[] {
  const points = [...new Set(offsets)].filter((o) => o > 0 && o < bytes.length).sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let start = 0;
  for (const point of points) {
    chunks.push(bytes.subarray(start, point));
    start = point;
  }
  chunks.push(bytes.subarray(start));
  return chunks;
}

test('encodeFrame writes a big-endian length then the body', () => {
  const frame = encodeFrame(Buffer.from('hello'));
  assert.deepEqual([...frame.subarray(0, 4)], [0, 0, 0, 5]);
  assert.equal(frame.subarray(4).toString(), 'hello');
  assert.equal(encodeFrame(new Uint8Array(0x0102)).readUInt32BE(0), 0x0102);
});

test('several frames in one chunk come out in order, as ranges of one copy of the chunk', () => {
  const stream = Buffer.concat([encodeFrame(Buffer.from('a')), encodeFrame(Buffer.alloc(0)), encodeFrame(Buffer.from('ccc'))]);
  const handed: { frames: Buffer; start: number; end: number }[] = [];
  new FrameDecoder().push(stream, (frames, start, end) => handed.push({ frames, start, end }));
  stream.fill(0xee); // the socket's chunk, read into again
  assert.deepEqual(handed.map(({ frames, start, end }) => frames.subarray(start, end).toString()), ['a', '', 'ccc']);
  assert.ok(handed.every(({ frames }) => frames === handed[0]!.frames), 'the frames of one chunk share one copy');
});

test('a large read is copied in runs: a value kept from one frame pins at most a run, not the whole read', () => {
  const small = Array.from({ length: 100 }, (_, i) => encodeFrame(Buffer.alloc(200, i)));
  const large = encodeFrame(Buffer.alloc(frameCopyRunBytesMax + 100, 0xab));
  const stream = Buffer.concat([...small.slice(0, 50), large, ...small.slice(50)]);
  const copies = new Set<Buffer>();
  const bodies: number[][] = [];
  new FrameDecoder().push(stream, (frames, start, end) => {
    copies.add(frames);
    bodies.push([end - start, frames[start]!]);
  });
  assert.deepEqual(bodies, [...Array.from({ length: 50 }, (_, i) => [200, i]), [frameCopyRunBytesMax + 100, 0xab], ...Array.from({ length: 50 }, (_, i) => [200, 50 + i])]);
  const sizes = [...copies].map((copy) => copy.length);
  assert.ok(sizes.every((bytes) => bytes <= frameCopyRunBytesMax || bytes === large.length), `copies of ${sizes.join(', ')} bytes`);
  // Runs are as full as the frames allow: 50 frames of 204 bytes are two runs, not fifty copies.
  assert.ok(copies.size <= 5, `${copies.size} copies for 101 frames`);
});

test('a limit raised while a frame is handed out holds for the frames behind it in the same chunk', () => {
  // As a handshake does: the hello is small, the requests pipelined behind it may be large.
  const stream = Buffer.concat([encodeFrame(Buffer.from('hello')), encodeFrame(Buffer.alloc(200, 1)), encodeFrame(Buffer.alloc(300, 2)).subarray(0, 10)]);
  const decoder = new FrameDecoder(16);
  const lengths: number[] = [];
  decoder.push(stream, (frames, start, end) => {
    lengths.push(end - start);
    decoder.setFrameBytesMax(1024);
  });
  assert.deepEqual(lengths, [5, 200]);
  assert.equal(decoder.bufferedBytes, 10, 'the partial frame behind them is checked against the raised limit too');
  // And a limit that was not raised refuses the large frame, after handing out the one before it.
  const strict = new FrameDecoder(16);
  const seen: number[] = [];
  assert.throws(() => strict.push(stream, (frames, start, end) => seen.push(end - start)), WireProtocolError);
  assert.deepEqual(seen, [5]);
});

test('a whole frame over the limit is refused from its header, not copied first', () => {
  const stream = Buffer.concat([encodeFrame(Buffer.from('ok')), encodeFrame(Buffer.alloc(5_000, 1))]);
  const allocated: number[] = [];
  const allocUnsafe = Buffer.allocUnsafe;
  Buffer.allocUnsafe = (size: number) => {
    allocated.push(size);
    return allocUnsafe(size);
  };
  try {
    const seen: string[] = [];
    assert.throws(() => new FrameDecoder(1_000).push(stream, (frames, start, end) => seen.push(frames.subarray(start, end).toString())), WireProtocolError);
    assert.deepEqual(seen, ['ok']);
  } finally {
    Buffer.allocUnsafe = allocUnsafe;
  }
  assert.ok(allocated.every((size) => size < 5_000), `copies of ${allocated.join(', ')} bytes`);
});

test('each body of a chunk decodes to its own message, exactly within its range', () => {
  const messages = [1, 2, 3].map((n) => ({ kind: 'm', n, value: new Uint8Array(n * 10).fill(n) }));
  const decoded: unknown[] = [];
  new FrameDecoder().push(Buffer.concat(messages.map((m) => encodeMessageFrame(m))), (frames, start, end) => decoded.push(decodeMessage(frames, start, end)));
  assert.deepEqual(
    decoded.map((m) => ({ ...(m as object), value: [...(m as { value: Uint8Array }).value] })),
    messages.map((m) => ({ ...m, value: [...m.value] })),
  );
  // A body cut short does not run on into the frame behind it: read on to the end of the copy,
  // this one (a bin8 of 6 bytes, its bytes missing) would take the next frame's 6 bytes and decode.
  const frames = Buffer.from([0, 0, 0, 2, 0xc4, 6, 0, 0, 0, 2, 0xc0, 0xc0]);
  assert.throws(() => decodeMessage(frames, 4, 6), WireProtocolError);
});

test('frames around the run bound, cut into chunks anywhere, come out whole, in runs within the bound', () => {
  fc.assert(
    fc.property(
      fc.array(fc.oneof(fc.nat(40), fc.integer({ min: frameCopyRunBytesMax - 12, max: frameCopyRunBytesMax + 4 }), fc.integer({ min: 9_000, max: 20_000 })), { minLength: 1, maxLength: 12 }),
      fc.array(fc.nat(200_000), { maxLength: 12 }),
      (sizes, offsets) => {
        const bodies = sizes.map((size, i) => Buffer.alloc(size, i + 1));
        const stream = Buffer.concat(bodies.map((body) => encodeFrame(body)));
        const decoder = new FrameDecoder(32_000);
        const out: Buffer[] = [];
        for (const chunk of cut(stream, offsets)) {
          decoder.push(chunk, (frames, start, end) => {
            const alone = end - start + frameHeaderBytes === frames.length;
            assert.ok(frames.length <= frameCopyRunBytesMax || alone, `a copy of ${frames.length} bytes holds more than one frame`);
            out.push(Buffer.from(frames.subarray(start, end)));
          });
        }
        assert.deepEqual(out, bodies);
        assert.equal(decoder.bufferedBytes, 0);
      },
    ),
    { numRuns: 300 },
  );
});

test('a stream of frames cut into chunks at every byte boundary yields the same bodies', () => {
  fc.assert(
    fc.property(
      fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 8 }),
      fc.array(fc.nat(400)),
      (bodies, offsets) => {
        const stream = Buffer.concat(bodies.map((b) => encodeFrame(b)));
        const decoder = new FrameDecoder();
        const out = decodeAll(decoder, cut(stream, offsets));
        assert.deepEqual(out.map((b) => [...b]), bodies.map((b) => [...b]));
        assert.equal(decoder.bufferedBytes, 0);
      },
    ),
    { numRuns: 500 },
  );
});

test('byte-at-a-time delivery of a whole stream yields every body', () => {
  const bodies = [Buffer.from('first'), Buffer.alloc(0), Buffer.alloc(300, 7), Buffer.from('last')];
  const stream = Buffer.concat(bodies.map((b) => encodeFrame(b)));
  const oneByteChunks = Array.from({ length: stream.length }, (_, i) => stream.subarray(i, i + 1));
  assert.deepEqual(decodeAll(new FrameDecoder(), oneByteChunks), bodies);
});

test('a trailing partial frame is held until it completes', () => {
  const decoder = new FrameDecoder();
  const frame = encodeFrame(Buffer.from('abcdef'));
  assert.deepEqual(decodeAll(decoder, [frame.subarray(0, 7)]), []);
  assert.equal(decoder.bufferedBytes, 7);
  assert.deepEqual(decodeAll(decoder, [frame.subarray(7)]).map(String), ['abcdef']);
});

test('a declared length above frameBytesMax is rejected from the header alone', () => {
  const header = Buffer.alloc(frameHeaderBytes);
  header.writeUInt32BE(101, 0);
  const decoder = new FrameDecoder(100);
  assert.throws(
    () => decoder.push(header, () => assert.fail('no body may come out')),
    (error: unknown) => error instanceof WireProtocolError && error.violation === 'frame_too_large' && error.code === 'bad_request',
  );
  // A header split across chunks is checked as soon as its fourth byte arrives.
  const split = new FrameDecoder(100);
  split.push(header.subarray(0, 2), () => {});
  assert.throws(() => split.push(header.subarray(2), () => {}), WireProtocolError);
  // Exactly the limit is fine.
  assert.equal(decodeAll(new FrameDecoder(100), [encodeFrame(Buffer.alloc(100))]).length, 1);
});

test('encodeFrame refuses a body over the limit', () => {
  assert.throws(() => encodeFrame(Buffer.alloc(11), 10), WireProtocolError);
});

test('message frames carry msgpack that decodes to the same value, bytes as bytes', () => {
  const message = { kind: 'replicaWrite', opId: 7, value: new Uint8Array([0, 1, 255]), nested: { list: [1, 'two', null] }, big: 2 ** 40 };
  const frame = encodeMessageFrame(message);
  assert.equal(frame.readUInt32BE(0), frame.length - frameHeaderBytes);
  const decoded = decodeAll(new FrameDecoder(), [frame]).map((body) => decodeMessage(body));
  assert.equal(decoded.length, 1);
  const out = decoded[0] as typeof message;
  assert.ok(out.value instanceof Uint8Array);
  assert.deepEqual([...out.value], [0, 1, 255]);
  assert.deepEqual({ ...out, value: [...out.value] }, { ...message, value: [0, 1, 255] });
});

test('decoded bytes do not share memory with the chunk they came in: reusing the chunk changes no value', () => {
  const frames = [1, 2, 3].map((n) => encodeMessageFrame({ kind: 'replicaWrite', opId: n, value: new Uint8Array(100).fill(n) }));
  const chunk = Buffer.concat(frames);
  const values: Uint8Array[] = [];
  new FrameDecoder().push(chunk, (frames, start, end) => values.push((decodeMessage(frames, start, end) as { value: Uint8Array }).value));
  chunk.fill(0xee); // the socket's chunk, read into again
  assert.deepEqual(values.map((value) => [value.length, new Set(value).size, value[0]]), [
    [100, 1, 1],
    [100, 1, 2],
    [100, 1, 3],
  ]);
});

test('msgpackr\'s own extension types are refused; its undefined (ext 0) still decodes', () => {
  const withExtension = (type: number, data: number[]) => Buffer.from([0x81, 0xa1, 0x76, 0xc7, data.length, type, ...data]);
  for (const type of refusedExtensionTypes) {
    assert.throws(() => decodeMessage(withExtension(type, [0, 0, 0, 4, 0xa0, 0xa0])), WireProtocolError, `extension type ${type}`);
  }
  assert.deepEqual(decodeMessage(encodeMessageFrame({ v: undefined, list: [undefined] }).subarray(frameHeaderBytes)), { v: undefined, list: [undefined] });
});

test('a body that is not msgpack is a wire protocol error', () => {
  assert.throws(() => decodeMessage(Buffer.from([0x92, 0x01])), WireProtocolError, 'truncated array');
  assert.throws(() => decodeMessage(Buffer.from([0x01, 0x02])), WireProtocolError, 'trailing bytes');
  assert.throws(() => decodeMessage(Buffer.alloc(0)), WireProtocolError);
});

test('fuzz: any bytes, cut anywhere, yield bodies within the limit or a WireProtocolError, never another throw', () => {
  const frameBytesMax = 64;
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 80 }), { maxLength: 10 }), (chunks) => {
      const decoder = new FrameDecoder(frameBytesMax);
      try {
        for (const chunk of chunks) {
          decoder.push(Buffer.from(chunk), (frames, start, end) => {
            assert.ok(end - start <= frameBytesMax);
            try {
              decodeMessage(frames, start, end);
            } catch (error) {
              if (!(error instanceof WireProtocolError)) throw error;
            }
          });
        }
      } catch (error) {
        if (!(error instanceof WireProtocolError)) throw error;
      }
    }),
    { numRuns: 2_000 },
  );
});

test('fuzz: msgpack bodies with every type decode or fail as WireProtocolError', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.nat(), (bytes, cutAt) => {
      // A valid message mutated: one byte flipped or the tail cut off.
      const body = Buffer.from(encodeMessageFrame({ kind: 'm', bytes, list: [1, 'a', null, 2 ** 40] }).subarray(frameHeaderBytes));
      const at = cutAt % body.length;
      body[at] = body[at]! ^ 0xff;
      for (const candidate of [body, body.subarray(0, at)]) {
        try {
          decodeMessage(candidate);
        } catch (error) {
          if (!(error instanceof WireProtocolError)) throw error;
        }
      }
    }),
    { numRuns: 2_000 },
  );
});
