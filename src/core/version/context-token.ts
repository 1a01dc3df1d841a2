/**
 * The context token a client carries from a get to its next put (DESIGN §4): opaque to the
 * client, versioned, size-limited. It is base64url (no padding) of
 * msgpack([formatVersion, clock, dots]) with clock and dots exactly as in `CausalContext`.
 *
 * A token comes from outside the cluster, so decoding trusts nothing: any input either yields
 * a canonical, bounded context or a KvorumError `bad_context` that says what is wrong.
 */
import { Packr } from 'msgpackr';
import { KvorumError } from '../errors.ts';
import { limits } from '../limits.ts';
import { decodeBase64Url, encodeBase64Url } from './base64url.ts';
import { causalContextProblem } from './causal-context.ts';
import { describeValue } from './describe-value.ts';
import { tokenClockEntriesMax } from './prune.ts';
import type { CausalContext } from './types.ts';

/** Bumped when the token's layout changes; decoders refuse versions they do not know. */
export const contextTokenFormatVersion = 1;

const packr = new Packr({ useRecords: false });

export function encodeContextToken(ctx: CausalContext): string {
  return encodeBase64Url(packr.pack([contextTokenFormatVersion, ctx.clock, ctx.dots]));
}

function badContext(problem: string): KvorumError {
  return new KvorumError('bad_context', `bad context token: ${problem}`);
}

export function decodeContextToken(token: string): CausalContext {
  if (typeof token !== 'string') throw badContext(`must be a string, got ${describeValue(token)}`);
  if (token.length > limits.contextBytesMax) {
    throw badContext(`${token.length} characters, more than ${limits.contextBytesMax}: pass the context of a recent get unchanged`);
  }
  const bytes = decodeBase64Url(token);
  if (bytes === null) throw badContext('not base64url (A-Z a-z 0-9 - _, no padding)');
  return parseTokenBody(unpackBody(bytes));
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
