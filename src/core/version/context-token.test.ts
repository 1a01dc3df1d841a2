import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createHmac } from 'node:crypto';
import { Packr } from 'msgpackr';
import { KvorumError } from '../errors.ts';
import { limits } from '../limits.ts';
import { actorProblem } from './actor.ts';
import { decodeBase64Url, encodeBase64Url } from './base64url.ts';
import { addDot, causalContextProblem, contextsEqual, emptyContext } from './causal-context.ts';
import { contextTokenKey, decodeContextToken, encodeContextToken, signTokenBody, type TokenTarget } from './context-token.ts';
import { tokenClockEntriesMax } from './prune.ts';
import type { CausalContext } from './types.ts';

const packr = new Packr({ useRecords: false });
const key = contextTokenKey('test', 'a secret');
const target: TokenTarget = { bucket: 'carts', key: 'alice' };
/** A token of any body, signed with the right key: what gets hostile bodies past the MAC. */
const tokenOf = (body: unknown): string => signTokenBody(packr.pack(body), target, key);
const encode = (ctx: CausalContext): string => encodeContextToken(ctx, target, key);
const decode = (token: string): CausalContext => decodeContextToken(token, target, key);

function isBadContext(error: unknown): boolean {
  return error instanceof KvorumError && error.code === 'bad_context' && error.message.startsWith('bad context token: ');
}

/** Decoding any input must give a canonical context or a bad_context error, nothing else. */
function decodesOrRefuses(token: string): void {
  let decoded: CausalContext;
  try {
    decoded = decode(token);
  } catch (error) {
    assert.ok(isBadContext(error), `unexpected error for ${JSON.stringify(token.slice(0, 60))}: ${String(error)}`);
    return;
  }
  assert.equal(causalContextProblem(decoded), null);
  assert.ok(decoded.clock.length <= tokenClockEntriesMax, 'clock within bounds');
  assert.ok(decoded.dots.length <= limits.contextDotsMax, 'dots within bounds');
}

const actorArb = fc.oneof(fc.constantFrom('n1', 'n2', 'node-3@a1b2'), fc.string({ minLength: 1, maxLength: 20, unit: 'grapheme' }))
  .filter((actor) => actorProblem(actor) === null);
const contextArb = fc
  .array(fc.tuple(actorArb, fc.integer({ min: 1, max: 12 }), fc.nat(2 ** 45)), { maxLength: 30 })
  .map((dots) => dots.reduce((ctx, [actor, counter, ms]) => addDot(ctx, [actor, counter], ms), emptyContext))
  .filter((ctx) => ctx.clock.length <= tokenClockEntriesMax && ctx.dots.length <= limits.contextDotsMax);

describe('base64url', () => {
  test('encodes like Buffer and decodes back', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const text = encodeBase64Url(bytes);
        assert.equal(text, Buffer.from(bytes).toString('base64url'));
        assert.deepEqual(decodeBase64Url(text), bytes);
      }),
    );
  });

  test('refuses padding, other alphabets, impossible lengths and non-zero spare bits', () => {
    for (const text of ['AA==', 'A+8', 'A/8', 'A', 'AAAAA', 'AB', 'AAB', 'é', 'AA AA']) assert.equal(decodeBase64Url(text), null, text);
    assert.deepEqual(decodeBase64Url(''), new Uint8Array());
  });
});

describe('context tokens', () => {
  test('round-trip every canonical context, and equal contexts give equal tokens', () => {
    fc.assert(
      fc.property(contextArb, (ctx) => {
        const token = encode(ctx);
        assert.match(token, /^[A-Za-z0-9_-]*$/);
        assert.ok(contextsEqual(decode(token), ctx), 'round trip');
        assert.equal(encode(structuredClone(ctx)), token);
      }),
    );
  });

  test('the empty context round-trips', () => {
    assert.deepEqual(decode(encode(emptyContext)), emptyContext);
  });

  test('the token is msgpack of [2, clock, dots] and a 16-byte MAC', () => {
    const ctx: CausalContext = { clock: [['n1', 2, 123]], dots: [['n2', 5]] };
    const bytes = Buffer.from(encode(ctx), 'base64url');
    assert.deepEqual(packr.unpack(bytes.subarray(0, -16)), [2, [['n1', 2, 123]], [['n2', 5]]]);
    const expected = createHmac('sha256', key.bytes).update('carts\u00005\u0000alice').update(bytes.subarray(0, -16)).digest().subarray(0, 16);
    assert.deepEqual(bytes.subarray(-16), expected);
  });

  test("the MAC covers the key's length in UTF-8 bytes, whatever its characters", () => {
    const ctx: CausalContext = { clock: [['n1', 2, 123]], dots: [] };
    for (const name of ['', 'é', 'ké€', '\u{1F600}x', 'a\u0000b', 'ß'.repeat(300)]) {
      const bytes = Buffer.from(encodeContextToken(ctx, { bucket: 'b', key: name }, key), 'base64url');
      const keyBytes = new TextEncoder().encode(name);
      const head = new TextEncoder().encode(`b\u0000${keyBytes.length}\u0000`);
      const expected = createHmac('sha256', key.bytes).update(head).update(keyBytes).update(bytes.subarray(0, -16)).digest().subarray(0, 16);
      assert.deepEqual(bytes.subarray(-16), expected, name.slice(0, 8));
      assert.deepEqual(decodeContextToken(bytes.toString('base64url'), { bucket: 'b', key: name }, key), ctx);
    }
  });

  const valid = (clock: unknown[] = [['n1', 2, 5]], dots: unknown[] = [['n2', 3]]) => tokenOf([2, clock, dots]);
  const refused: Array<[string, string, RegExp]> = [
    ['longer than contextBytesMax', 'A'.repeat(limits.contextBytesMax + 4), /more than 8192/],
    ['padding', `${valid()}==`, /not base64url/],
    ['standard base64 characters', valid().replace(/.$/, '+'), /not base64url/],
    ['not msgpack', signTokenBody(Uint8Array.of(0xd9), target, key), /not msgpack/],
    ['truncated msgpack', signTokenBody(packr.pack([2, [['n1', 2, 5]], []]).subarray(0, 8), target, key), /not msgpack/],
    ['trailing bytes', signTokenBody(Buffer.concat([packr.pack([2, [], []]), Buffer.from([0])]), target, key), /not msgpack/],
    ['the empty string', '', /too short/],
    ['a MAC alone', Buffer.alloc(16).toString('base64url'), /too short/],
    ['a map instead of an array', tokenOf({ clock: [], dots: [] }), /must be \[version, clock, dots\]/],
    ['an unknown format version', tokenOf([3, [], []]), /unknown format version 3/],
    ['extra fields', tokenOf([2, [], [], []]), /must be \[version, clock, dots\]/],
    ['a clock that is not an array', tokenOf([2, 'x', []]), /clock must be an array/],
    ['an empty actor', valid([['', 1, 0]]), /actor must not be empty/],
    ['an actor of 129 bytes', valid([['é'.repeat(64) + 'x', 1, 0]]), /129 bytes, more than 128/],
    ['an actor that is a number', valid([[7, 1, 0]]), /actor must be a string/],
    ['counter 0', valid([['n1', 0, 0]]), /counter must be a positive safe integer/],
    ['a fractional counter', valid([['n1', 1.5, 0]]), /counter must be a positive safe integer/],
    ['a counter past 2^53', valid([['n1', 2 ** 53, 0]]), /counter must be a positive safe integer/],
    ['a 64-bit integer counter', tokenOf([2, [['n1', 2n ** 60n, 0]], []]), /counter must be a positive safe integer/],
    ['a negative lastWriteMs', valid([['n1', 1, -1]]), /lastWriteMs must be a non-negative/],
    ['a string lastWriteMs', valid([['n1', 1, '5']]), /lastWriteMs must be a non-negative/],
    ['a clock entry of two', valid([['n1', 1]]), /must be \[actor, counter, lastWriteMs\]/],
    ['an unsorted clock', valid([['n2', 1, 0], ['n1', 1, 0]], []), /sorted/],
    ['a duplicate clock entry', valid([['n1', 1, 0], ['n1', 1, 0]], []), /sorted/],
    ['unsorted dots', valid([], [['n2', 5], ['n2', 3]]), /sorted/],
    ['duplicate dots', valid([], [['n2', 3], ['n2', 3]]), /sorted/],
    ['a dot covered by the clock', valid([['n1', 4, 0]], [['n1', 2]]), /already covered by the clock/],
    ['a dot the clock should have folded', valid([['n1', 4, 0]], [['n1', 5]]), /must be folded/],
    [
      'too many clock entries',
      valid(Array.from({ length: tokenClockEntriesMax + 1 }, (_, i) => [`a${String(i).padStart(3, '0')}`, 1, 0]), []),
      /33 clock entries, more than 32/,
    ],
    ['too many dots', valid([], Array.from({ length: limits.contextDotsMax + 1 }, (_, i) => ['a', i + 3])), /65 dots, more than 64/],
  ];
  for (const [name, token, message] of refused) {
    test(`refuses ${name} with bad_context`, () => {
      assert.throws(() => decode(token), (error: unknown) => isBadContext(error) && message.test((error as Error).message));
    });
  }
});

describe('decoding never crashes', () => {
  test('on random strings', () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }), decodesOrRefuses), { numRuns: 500 });
    fc.assert(fc.property(fc.stringMatching(/^[A-Za-z0-9_-]{0,120}$/), decodesOrRefuses), { numRuns: 500 });
  });

  test('on random bytes, signed or not', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => decodesOrRefuses(encodeBase64Url(bytes))), { numRuns: 1000 });
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => decodesOrRefuses(signTokenBody(bytes, target, key))), { numRuns: 1000 });
  });

  test('on random msgpack values, near-valid shapes included', () => {
    const scalar = fc.oneof(fc.string({ maxLength: 6 }), fc.integer({ min: -3, max: 6 }), fc.double(), fc.boolean(), fc.constant(null), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n }));
    const tupleArb = fc.array(scalar, { minLength: 1, maxLength: 4 });
    const nearValid = fc.tuple(fc.oneof(fc.constant(1), scalar), fc.array(tupleArb, { maxLength: 5 }), fc.array(tupleArb, { maxLength: 5 }));
    fc.assert(fc.property(fc.oneof(nearValid, fc.anything()), (body) => decodesOrRefuses(tokenOf(body))), { numRuns: 1000 });
  });

  test('on valid tokens with a byte changed or cut', () => {
    fc.assert(
      fc.property(contextArb, fc.nat(), fc.nat(255), fc.boolean(), (ctx, at, byte, cut) => {
        const bytes = Buffer.from(encode(ctx), 'base64url');
        const index = at % bytes.length;
        const mutated = cut ? bytes.subarray(0, index) : Buffer.from(bytes);
        if (!cut) mutated[index] = byte;
        decodesOrRefuses(mutated.toString('base64url'));
      }),
      { numRuns: 1000 },
    );
  });

  test('msgpack extensions and records in a token change nothing for the next token', () => {
    // 0xd4 0x72: a msgpackr record definition; 0xc7: ext 8; 0xd6 0xff: a timestamp.
    for (const hex of ['d47201', 'c70172aa', 'd6ff00000000', '93d47240a16140', 'd40000', 'd76500000000000000']) {
      decodesOrRefuses(signTokenBody(Buffer.from(hex, 'hex'), target, key));
    }
    const ctx: CausalContext = { clock: [['n1', 1, 1]], dots: [] };
    assert.deepEqual(decode(encode(ctx)), ctx);
  });
});

describe('tokens are authenticated (issue 11 §3)', () => {
  const ctx: CausalContext = { clock: [['n1.a', 3, 10]], dots: [] };
  const notIssued = /not a context this cluster issued for carts\/alice/;
  const refusedAs = (pattern: RegExp) => (error: unknown) => isBadContext(error) && pattern.test((error as Error).message);

  test('a well-formed context the cluster never issued is refused: counters of 2^53-2 brick nothing', () => {
    const forged = [2, [['n1.a', 2 ** 53 - 2, 0], ['n2.b', 2 ** 53 - 2, 0]], []];
    const unsigned = Buffer.from(packr.pack(forged)).toString('base64url');
    assert.throws(() => decode(unsigned), refusedAs(notIssued));
    const withMacOfOtherKey = signTokenBody(packr.pack(forged), target, contextTokenKey('test', 'another secret'));
    assert.throws(() => decode(withMacOfOtherKey), refusedAs(notIssued));
  });

  test('a token is good only for the bucket and key it was read from', () => {
    const token = encode(ctx);
    assert.throws(() => decodeContextToken(token, { bucket: 'carts', key: 'bob' }, key), refusedAs(/not a context this cluster issued for carts\/bob/));
    assert.throws(() => decodeContextToken(token, { bucket: 'cart', key: 'salice' }, key), refusedAs(/not a context/));
    assert.throws(() => decodeContextToken(token, { bucket: 'carts', key: 'alice\u0000' }, key), refusedAs(/not a context/));
  });

  test('a token from before authentication (format 1, no MAC) is refused', () => {
    const old = Buffer.from(packr.pack([1, [['n1.a', 3, 10], ['n2.b', 5, 10], ['n3.c', 9, 10]], []])).toString('base64url');
    assert.throws(() => decode(old), refusedAs(notIssued));
    assert.throws(() => decode(Buffer.from(packr.pack([1, [], []])).toString('base64url')), refusedAs(/too short/));
  });

  test('any change to a token is refused', () => {
    fc.assert(
      fc.property(contextArb, fc.nat(), fc.integer({ min: 1, max: 255 }), (context, at, flip) => {
        const bytes = Buffer.from(encode(context), 'base64url');
        const index = at % bytes.length;
        bytes[index] = bytes[index]! ^ flip;
        assert.throws(() => decode(bytes.toString('base64url')), isBadContext);
      }),
      { numRuns: 300 },
    );
  });

  test('the MAC is HMAC-SHA256 however long the key and body, before and after a long one', () => {
    const check = (name: string, dots: number): void => {
      const ctx: CausalContext = { clock: [['n1', 2, 123]], dots: Array.from({ length: dots }, (_, i) => ['n2', 10 + 2 * i] as const) };
      const bytes = Buffer.from(encodeContextToken(ctx, { bucket: 'b', key: name }, key), 'base64url');
      const expected = createHmac('sha256', key.bytes).update(`b\u0000${Buffer.byteLength(name)}\u0000${name}`).update(bytes.subarray(0, -16)).digest().subarray(0, 16);
      assert.deepEqual(bytes.subarray(-16), expected, `${name.length} characters, ${dots} dots`);
      assert.deepEqual(decodeContextToken(bytes.toString('base64url'), { bucket: 'b', key: name }, key), ctx);
    };
    check('short', 0);
    check('€'.repeat(900), 0);
    check('k', 60);
    check('short again', 1);
  });

  test('the key comes from the secret, or without one from the cluster name', () => {
    assert.deepEqual(contextTokenKey('a', 's'), contextTokenKey('b', 's'), 'the secret alone decides');
    assert.notDeepEqual(contextTokenKey('a', 's'), contextTokenKey('a', 't'));
    assert.notDeepEqual(contextTokenKey('a', undefined), contextTokenKey('b', undefined));
    assert.notDeepEqual(contextTokenKey('s', undefined), contextTokenKey('x', 's'), 'a name never gives the key of an equal secret');
  });
});
