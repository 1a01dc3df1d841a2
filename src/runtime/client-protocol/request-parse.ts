/**
 * Turning a decoded request frame into the core's ClientRequest, trusting nothing: any value
 * msgpack can carry either yields a request that passed the validators HTTP's requests pass
 * (core/validate.ts, the context token's decoder) or throws a KvorumError with the code HTTP
 * would answer for the same mistake (docs/api.md, "Errors"). A frame without a usable id cannot
 * be answered at all: `requestIdOf` says so and the connection is closed instead.
 */
import { KvorumError } from '../../core/errors.ts';
import type { ClientRequest, ListBucketsRequest, ListKeysRequest } from '../../core/messages.ts';
import { listKeysLimitDefault } from '../../core/coverage/listing-limits.ts';
import { validateBucket, validateKey, validateValue, type RequestLimits } from '../../core/validate.ts';
import { decodeContextToken, type ContextTokenKey, type TokenTarget } from '../../core/version/context-token.ts';
import type { CausalContext } from '../../core/version/types.ts';
import { describeValue } from '../../core/version/describe-value.ts';
import { clientProtocolVersion, opSinceVersion, requestFields, requestIdMax, requestOps, type RequestOp } from '../../wire/client-protocol.ts';

export type ParsedRequest =
  | { readonly op: 'get' | 'put' | 'delete'; readonly request: ClientRequest }
  | { readonly op: 'keys'; readonly request: ListKeysRequest }
  | { readonly op: 'buckets'; readonly request: ListBucketsRequest }
  | { readonly op: 'ring' }
  | { readonly op: 'ping' };

type Fields = Record<string, unknown>;

/** HTTP's default when a PUT has no Content-Type. */
const defaultContentType = 'application/octet-stream';

export function isRecord(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

/** The id of a request frame, or null when it has none a reply could carry. */
export function requestIdOf(frame: unknown): number | null {
  if (!isRecord(frame)) return null;
  const id = frame.id;
  return typeof id === 'number' && Number.isInteger(id) && id >= 0 && id <= requestIdMax ? id : null;
}

/**
 * Throws KvorumError (bad_request, bad_bucket, bad_key, bad_context, bad_query, value_too_large).
 * `version`: what the connection's hello asked for; an op added later is refused.
 */
export function parseRequest(frame: Fields, requestLimits: RequestLimits, tokenKey: ContextTokenKey, version = clientProtocolVersion): ParsedRequest {
  const op = opOf(frame.op);
  if (opSinceVersion[op] > version) throw new KvorumError('bad_request', `op ${op} needs protocol version ${opSinceVersion[op]}; this connection's hello asked for ${version}`);
  const allowed = requestFields[op];
  for (const field in frame) {
    if (!allowed.has(field)) throw new KvorumError('bad_request', `unknown field ${JSON.stringify(field.slice(0, 40))} in a ${op} request (allowed: ${[...allowed].join(', ')})`);
  }
  switch (op) {
    case 'ring':
    case 'ping':
      return { op };
    case 'get':
      return { op, request: { kind: 'get', ...target(frame, requestLimits), r: optionalInteger(frame, 'r'), timeoutMs: optionalInteger(frame, 'timeoutMs') } };
    case 'put':
    case 'delete':
      return { op, request: writeRequest(frame, op === 'delete', requestLimits, tokenKey) };
    case 'keys': {
      const { bucket, after } = frame;
      if (typeof bucket !== 'string') throw new KvorumError('bad_bucket', `bucket must be a string, got ${describeValue(bucket)}`);
      validateBucket(bucket);
      if (after !== undefined && after !== null && typeof after !== 'string') throw new KvorumError('bad_key', `after must be a key, got ${describeValue(after)}`);
      const limit = optionalInteger(frame, 'limit') ?? listKeysLimitDefault;
      return { op, request: { kind: 'listKeys', bucket, after: typeof after === 'string' && after !== '' ? after : null, limit, timeoutMs: optionalInteger(frame, 'timeoutMs') } };
    }
    case 'buckets':
      return { op, request: { kind: 'listBuckets', timeoutMs: optionalInteger(frame, 'timeoutMs') } };
  }
}

function opOf(op: unknown): RequestOp {
  if (typeof op === 'string' && (requestOps as readonly string[]).includes(op)) return op as RequestOp;
  throw new KvorumError('bad_request', `op must be one of ${requestOps.join(', ')}, got ${describeValue(op)}`);
}

function target(frame: Fields, requestLimits: RequestLimits): { bucket: string; key: string } {
  const { bucket, key } = frame;
  if (typeof bucket !== 'string') throw new KvorumError('bad_bucket', `bucket must be a string, got ${describeValue(bucket)}`);
  validateBucket(bucket);
  if (typeof key !== 'string') throw new KvorumError('bad_key', `key must be a string, got ${describeValue(key)}`);
  validateKey(key, requestLimits);
  return { bucket, key };
}

function writeRequest(frame: Fields, deleted: boolean, requestLimits: RequestLimits, tokenKey: ContextTokenKey): ClientRequest {
  const { bucket, key } = target(frame, requestLimits);
  const context = contextOf(frame.context, { bucket, key }, tokenKey);
  const w = optionalInteger(frame, 'w');
  const timeoutMs = optionalInteger(frame, 'timeoutMs');
  if (deleted) return { kind: 'put', bucket, key, value: new Uint8Array(), contentType: '', deleted, context, w, timeoutMs };
  const { value } = frame;
  if (!(value instanceof Uint8Array)) throw new KvorumError('bad_request', `value must be bytes (msgpack bin), got ${describeValue(value)}`);
  const contentType = frame.contentType ?? defaultContentType;
  if (typeof contentType !== 'string') throw new KvorumError('bad_request', `contentType must be a string, got ${describeValue(contentType)}`);
  validateValue(value, contentType, requestLimits);
  return { kind: 'put', bucket, key, value, contentType, deleted, context, w, timeoutMs };
}

/** A token as HTTP's X-Kvorum-Context carries it, signed for this key; absent, nil or '' is no context. */
function contextOf(token: unknown, target: TokenTarget, tokenKey: ContextTokenKey): CausalContext | null {
  if (token === undefined || token === null || token === '') return null;
  if (typeof token !== 'string') throw new KvorumError('bad_context', `context must be a token string, got ${describeValue(token)}`);
  return decodeContextToken(token, target, tokenKey);
}

/** r, w, timeoutMs: an integer or absent (nil counts as absent); the core checks the range. */
function optionalInteger(frame: Fields, name: 'r' | 'w' | 'timeoutMs' | 'limit'): number | undefined {
  const value = frame[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new KvorumError('bad_query', `${name} must be an integer, got ${describeValue(value)}`);
  return value;
}
