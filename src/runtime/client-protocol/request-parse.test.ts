import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { KvorumError } from '../../core/errors.ts';
import { defaultRequestLimits } from '../../core/validate.ts';
import { encodeTestToken, testTokenKey } from '../../core/version/test-token.ts';
import { decodeMessage, encodeMessageFrame } from '../../wire/codec.ts';
import { frameHeaderBytes } from '../../wire/framing.ts';
import { parseRequest, requestIdOf, type ParsedRequest } from './request-parse.ts';

const limits = { keyBytesMax: 64, valueBytesMax: 1024 };
/** A token for b/k, the key every request here names. */
const context = encodeTestToken({ clock: [['n1.abc', 3, 1_700_000_000_000]], dots: [] });

function codeOf(frame: Record<string, unknown>): string {
  try {
    parseRequest(frame, limits, testTokenKey);
  } catch (error) {
    if (error instanceof KvorumError) return error.code;
    throw error;
  }
  return 'ok';
}

function requestOf(parsed: ParsedRequest): unknown {
  assert.ok('request' in parsed);
  return parsed.request;
}

/** What msgpack would hand the parser after a round trip; undefined for what msgpack cannot encode. */
function overTheWire(frame: unknown): unknown {
  let encoded: Buffer;
  try {
    encoded = encodeMessageFrame(frame);
  } catch {
    return undefined; // e.g. a BigInt beyond 64 bits: no client could send it
  }
  return decodeMessage(encoded.subarray(frameHeaderBytes));
}

describe('binary request parsing', () => {
  test('each op becomes the ClientRequest HTTP would make', () => {
    assert.deepEqual(parseRequest({ id: 1, op: 'get', bucket: 'b', key: 'k', r: 3, timeoutMs: 50 }, limits, testTokenKey), { op: 'get', request: { kind: 'get', bucket: 'b', key: 'k', r: 3, timeoutMs: 50 } });
    const put = requestOf(parseRequest({ id: 2, op: 'put', bucket: 'b', key: 'k', value: new Uint8Array([1, 2]), context, w: 1 }, limits, testTokenKey));
    assert.deepEqual(put, { kind: 'put', bucket: 'b', key: 'k', value: new Uint8Array([1, 2]), contentType: 'application/octet-stream', deleted: false, context: { clock: [['n1.abc', 3, 1_700_000_000_000]], dots: [] }, w: 1, timeoutMs: undefined });
    const del = requestOf(parseRequest({ id: 3, op: 'delete', bucket: 'b', key: 'k', context: '' }, limits, testTokenKey));
    assert.deepEqual(del, { kind: 'put', bucket: 'b', key: 'k', value: new Uint8Array(), contentType: '', deleted: true, context: null, w: undefined, timeoutMs: undefined });
    assert.deepEqual(parseRequest({ id: 4, op: 'ring' }, limits, testTokenKey), { op: 'ring' });
    assert.deepEqual(parseRequest({ id: 5, op: 'ping' }, limits, testTokenKey), { op: 'ping' });
    // nil is how many msgpack libraries write an absent optional field.
    assert.equal(codeOf({ id: 6, op: 'put', bucket: 'b', key: 'k', value: new Uint8Array(), contentType: null, context: null, w: null }), 'ok');
  });

  test('mistakes get the codes HTTP gives them', () => {
    const put = { id: 1, op: 'put', bucket: 'b', key: 'k', value: new Uint8Array(3) };
    const cases: [Record<string, unknown>, string][] = [
      [{ id: 1, op: 'scan' }, 'bad_request'],
      [{ id: 1 }, 'bad_request'],
      [{ id: 1, op: 'ping', extra: 1 }, 'bad_request'],
      [{ ...put, timeout: 5 }, 'bad_request'],
      [{ ...put, bucket: 'no spaces' }, 'bad_bucket'],
      [{ ...put, bucket: 7 }, 'bad_bucket'],
      [{ ...put, key: '' }, 'bad_key'],
      [{ ...put, key: 'k'.repeat(65) }, 'bad_key'],
      [{ ...put, key: 'bad \uFFFD utf-8' }, 'bad_key'],
      [{ ...put, key: null }, 'bad_key'],
      [{ ...put, value: 'text' }, 'bad_request'],
      [{ ...put, value: undefined }, 'bad_request'],
      [{ ...put, value: new Uint8Array(1025) }, 'value_too_large'],
      [{ ...put, contentType: 'x'.repeat(257) }, 'bad_request'],
      [{ ...put, contentType: 5 }, 'bad_request'],
      [{ ...put, context: '%%%' }, 'bad_context'],
      [{ ...put, context: 42 }, 'bad_context'],
      [{ ...put, w: 1.5 }, 'bad_query'],
      [{ ...put, w: '2' }, 'bad_query'],
      [{ id: 1, op: 'get', bucket: 'b', key: 'k', timeoutMs: -0.5 }, 'bad_query'],
      [{ id: 1, op: 'get', bucket: 'b', key: 'k', value: new Uint8Array() }, 'bad_request'],
    ];
    for (const [frame, code] of cases) assert.equal(codeOf(frame), code, JSON.stringify(frame));
  });

  test('a reply needs an id: a uint32', () => {
    assert.equal(requestIdOf({ id: 0 }), 0);
    assert.equal(requestIdOf({ id: 0xffff_ffff }), 0xffff_ffff);
    for (const frame of [null, [], 'x', new Uint8Array(2), {}, { id: -1 }, { id: 2 ** 32 }, { id: 1.5 }, { id: '1' }, { id: 1n }]) {
      assert.equal(requestIdOf(frame), null, String(frame));
    }
  });

  test('hostile frames: any value msgpack can carry yields a valid request or a KvorumError', () => {
    const anyValue = fc.oneof(
      fc.anything({ withBigInt: true, withTypedArray: true, withNullPrototype: true, withObjectString: true }),
      fc.uint8Array({ maxLength: 2048 }),
      fc.string({ maxLength: 80 }),
      fc.integer(),
    );
    const field = fc.constantFrom('id', 'op', 'bucket', 'key', 'value', 'contentType', 'context', 'r', 'w', 'timeoutMs', '__proto__', 'constructor');
    const op = fc.oneof(fc.constantFrom('get', 'put', 'delete', 'ring', 'ping'), anyValue);
    // Mostly near-valid frames (where bugs hide), with any field replaced, added or dropped.
    const frame = fc.record({ id: fc.oneof(fc.nat(), anyValue), op, bucket: fc.oneof(fc.constantFrom('b', 'carts'), anyValue), key: fc.oneof(fc.string({ minLength: 1, maxLength: 70 }), anyValue) }).chain((base) =>
      fc.dictionary(field, anyValue, { maxKeys: 4 }).map((extra) => ({ ...base, ...extra })),
    );
    fc.assert(
      fc.property(fc.oneof(frame, anyValue), fc.boolean(), (value, roundTrip) => {
        const received = roundTrip ? overTheWire(value) : value;
        if (requestIdOf(received) === null) return;
        try {
          const parsed = parseRequest(received as Record<string, unknown>, limits, testTokenKey);
          if (parsed.op === 'get' || parsed.op === 'put' || parsed.op === 'delete') {
            assert.ok(/^[A-Za-z0-9_.-]{1,64}$/.test(parsed.request.bucket));
            assert.ok(Buffer.byteLength(parsed.request.key) <= limits.keyBytesMax);
            if (parsed.request.kind === 'put') assert.ok(parsed.request.value instanceof Uint8Array && parsed.request.value.length <= limits.valueBytesMax);
          }
        } catch (error) {
          assert.ok(error instanceof KvorumError, `threw ${String(error)}`);
        }
      }),
      { numRuns: 3_000 },
    );
  });

  test('hostile bytes: a frame body is a message or a KvorumError, never anything else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), (bytes) => {
        let message: unknown;
        try {
          message = decodeMessage(Buffer.from(bytes));
        } catch (error) {
          assert.ok(error instanceof KvorumError, `threw ${String(error)}`);
          return;
        }
        if (requestIdOf(message) === null) return;
        try {
          parseRequest(message as Record<string, unknown>, defaultRequestLimits, testTokenKey);
        } catch (error) {
          assert.ok(error instanceof KvorumError, `threw ${String(error)}`);
        }
      }),
      { numRuns: 3_000 },
    );
  });
});
