/**
 * The context token a client carries from a get to its next put (DESIGN §4): opaque to the
 * client, versioned, size-limited, and authenticated. It is base64url (no padding) of
 * `body ‖ mac`, where body is msgpack([formatVersion, clock, dots]) with clock and dots exactly
 * as in `CausalContext`, and mac the first 16 bytes of HMAC-SHA256 under the cluster's token key
 * (`contextTokenKey`) over the bucket, the key (with its length) and the body.
 *
 * Why a MAC: a context says which writes its put supersedes, and the coordinator joins it into
 * the key's causal history. A forged one claiming counters no node ever issued made every later
 * write of the key fail ("no write counters left", for good), or made one node's future writes
 * look superseded and vanish (issue 11 §3). With the MAC a client can only send back a context
 * the cluster gave it — for the same bucket and key, so one read cannot be replayed on another
 * key whose counters are lower. A token is only as unforgeable as the key: derived from the
 * cluster secret, or without one (dev, loopback) from the cluster name, which anyone may know.
 *
 * A token comes from outside the cluster, so decoding trusts nothing: any input either yields
 * a canonical, bounded context or a KvorumError `bad_context` that says what is wrong. The MAC
 * is checked before the body is parsed, so a forger gets no further than one HMAC (~2 µs).
 */
import { createHmac, hash } from 'node:crypto';
import { Packr } from 'msgpackr';
import { KvorumError } from '../errors.ts';
import { limits } from '../limits.ts';
import { decodeBase64Url } from './base64url.ts';
import { utf8ByteLength } from './actor.ts';
import { causalContextProblem } from './causal-context.ts';
import { describeValue } from './describe-value.ts';
import { tokenClockEntriesMax } from './prune.ts';
import type { CausalContext } from './types.ts';

/** Bumped when the token's layout changes; decoders refuse versions they do not know (1: no MAC). */
export const contextTokenFormatVersion = 2;
/** HMAC-SHA256 cut to 128 bits: forging one is a 2^-128 guess per try. */
export const contextTokenMacBytes = 16;

/**
 * The key tokens are signed with, from `contextTokenKey`: its bytes, and the two padded keys
 * HMAC hashes in front of the message (RFC 2104), worked out once rather than by every MAC.
 */
export interface ContextTokenKey {
  readonly bytes: Uint8Array;
  readonly innerPad: Uint8Array;
  readonly outerPad: Uint8Array;
}

/** SHA-256's block: HMAC pads its key to this length. */
const hashBlockBytes = 64;
const hashBytes = 32;

/** What a token is for: a token read from one key is refused on another. */
export interface TokenTarget {
  readonly bucket: string;
  readonly key: string;
}

const packr = new Packr({ useRecords: false });
/** HKDF-Extract's salt (RFC 5869): a fixed label, so this key is used for nothing else. */
const keyLabel = 'kvorum context token key v1';

/**
 * The cluster's token key: HMAC-SHA256 under a fixed label of the cluster secret, or, without a
 * secret, of the cluster name — which stops nobody who knows the name, only mistakes.
 */
export function contextTokenKey(clusterName: string, clusterSecret: string | undefined): ContextTokenKey {
  const material = clusterSecret ? `secret\u0000${clusterSecret}` : `cluster\u0000${clusterName}`;
  const bytes = new Uint8Array(createHmac('sha256', keyLabel).update(material).digest());
  const innerPad = new Uint8Array(hashBlockBytes).fill(0x36);
  const outerPad = new Uint8Array(hashBlockBytes).fill(0x5c);
  for (let i = 0; i < bytes.length; i++) {
    innerPad[i]! ^= bytes[i]!;
    outerPad[i]! ^= bytes[i]!;
  }
  return { bytes, innerPad, outerPad };
}

/** Where a MAC's input is put together: grown when a longer one comes, never shrunk. */
let macInput = Buffer.allocUnsafe(1024);

/**
 * The MAC's first `contextTokenMacBytes` bytes, one char per byte (a 'binary' digest: no buffer
 * outside V8's heap, which every get's reply would otherwise allocate and the GC sweep).
 */
function mac(body: Uint8Array, target: TokenTarget, key: ContextTokenKey): string {
  // Unambiguous: a bucket name holds no NUL, and the key's length in bytes says where it ends.
  // (Keys are well-formed UTF-16, validate.ts: no lone surrogate for the length to disagree on.)
  const head = `${target.bucket}\u0000${utf8ByteLength(target.key)}\u0000${target.key}`;
  // HMAC (RFC 2104) as two one-shot hashes over the precomputed pads: a createHmac object per
  // token cost ~0.7 µs more, and every get and put reply carries a token.
  const inputBytes = hashBlockBytes + head.length * 3 + body.length;
  if (macInput.length < inputBytes) macInput = Buffer.allocUnsafe(inputBytes * 2);
  macInput.set(key.innerPad, 0);
  let end = hashBlockBytes + macInput.write(head, hashBlockBytes, 'utf8');
  macInput.set(body, end);
  end += body.length;
  const inner = hash('sha256', macInput.subarray(0, end), 'binary');
  macInput.set(key.outerPad, 0);
  macInput.write(inner, hashBlockBytes, 'latin1');
  return hash('sha256', macInput.subarray(0, hashBlockBytes + hashBytes), 'binary');
}

/** Where a token's bytes are put together before base64url: grown when a longer one comes, never shrunk. */
let sealedScratch = Buffer.allocUnsafe(512);

/** `body` with its MAC, as a token. Exported for tests that must get hostile bodies past the MAC. */
export function signTokenBody(body: Uint8Array, target: TokenTarget, key: ContextTokenKey): string {
  const tag = mac(body, target, key);
  const sealedBytes = body.length + contextTokenMacBytes;
  // Sealed in a reused buffer, not a fresh array per token: that array and its base64url view
  // cost ~0.5 µs of the ~2 a token took, and every get's and put's reply carries one.
  if (sealedScratch.length < sealedBytes) sealedScratch = Buffer.allocUnsafe(sealedBytes * 2);
  sealedScratch.set(body, 0);
  sealedScratch.write(tag, body.length, contextTokenMacBytes, 'latin1');
  return sealedScratch.toString('base64url', 0, sealedBytes);
}

/** Whether `tag` (a sealed token's last bytes) is the MAC: every byte compared, whatever differs. */
function macMatches(expected: string, tag: Uint8Array): boolean {
  let difference = 0;
  for (let i = 0; i < contextTokenMacBytes; i++) difference |= expected.charCodeAt(i) ^ tag[i]!;
  return difference === 0;
}

export function encodeContextToken(ctx: CausalContext, target: TokenTarget, key: ContextTokenKey): string {
  return signTokenBody(packr.pack([contextTokenFormatVersion, ctx.clock, ctx.dots]), target, key);
}

function badContext(problem: string): KvorumError {
  return new KvorumError('bad_context', `bad context token: ${problem}`);
}

export function decodeContextToken(token: string, target: TokenTarget, key: ContextTokenKey): CausalContext {
  if (typeof token !== 'string') throw badContext(`must be a string, got ${describeValue(token)}`);
  if (token.length > limits.contextBytesMax) {
    throw badContext(`${token.length} characters, more than ${limits.contextBytesMax}: pass the context of a recent get unchanged`);
  }
  const bytes = decodeBase64Url(token);
  if (bytes === null) throw badContext('not base64url (A-Z a-z 0-9 - _, no padding)');
  if (bytes.length <= contextTokenMacBytes) throw badContext('too short to be a context');
  const body = bytes.subarray(0, bytes.length - contextTokenMacBytes);
  if (!macMatches(mac(body, target, key), bytes.subarray(body.length))) {
    throw badContext(`not a context this cluster issued for ${target.bucket}/${target.key}: pass the context of a recent get of this key unchanged`);
  }
  return parseTokenBody(unpackBody(body));
}

function unpackBody(bytes: Uint8Array): unknown {
  try {
    return packr.unpack(bytes);
  } catch (error) {
    throw badContext(`not msgpack (${error instanceof Error ? error.message.slice(0, 80) : 'undecodable'})`);
  }
}

function parseTokenBody(body: unknown): CausalContext {
  if (!Array.isArray(body) || body.length < 1) throw badContext(`must be [version, clock, dots], got ${describeValue(body)}`);
  if (body[0] !== contextTokenFormatVersion) throw badContext(`unknown format version ${describeValue(body[0])}`);
  if (body.length !== 3) throw badContext(`must be [version, clock, dots], got ${describeValue(body)}`);
  const [, clock, dots] = body as unknown[];
  // Counts first, so a hostile token costs no more than the bounds allow.
  if (Array.isArray(clock) && clock.length > tokenClockEntriesMax) {
    throw badContext(`${clock.length} clock entries, more than ${tokenClockEntriesMax}`);
  }
  if (Array.isArray(dots) && dots.length > limits.contextDotsMax) {
    throw badContext(`${dots.length} dots, more than ${limits.contextDotsMax}`);
  }
  const context = { clock, dots };
  const problem = causalContextProblem(context);
  if (problem !== null) throw badContext(problem);
  return context as CausalContext;
}
