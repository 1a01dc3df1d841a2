/**
 * `POST /v1/kv/{bucket}/_batch` (issue 12 §8): gets, puts and deletes of many keys of one bucket
 * in one request, each key with its own result or error — DynamoDB's BatchGetItem and
 * BatchWriteItem, Riak's multi-get. It saves the client a round trip and an HTTP request per key;
 * the node still coordinates each operation as it would alone (its own preference list, quorum,
 * deadline), all of them at once, so two operations on one key in a batch are concurrent. The
 * binary protocol needs no batch: it pipelines many requests on one connection already.
 *
 *   request  {"ops": [{"op": "get", "key", "r"?},
 *                     {"op": "put", "key", "value" (base64), "contentType"?, "context"?, "w"?},
 *                     {"op": "delete", "key", "context"?, "w"?}], "timeout"?}
 *   answer   {"results": [{"key", "siblings": [{value, contentType, lastModifiedMs}], "context"?}
 *                       | {"key", "context"} | {"key", "error": {code, message, detail?}}]}
 *
 * Results are in the order of `ops`. A malformed operation fails alone (its `error`); a body that
 * is not a batch, or one over its limits (core/limits.ts `batch*`), fails whole.
 */
import { KvorumError, isErrorCode } from '../../core/errors.ts';
import { limits } from '../../core/limits.ts';
import type { ClientRequest, ClientResult } from '../../core/messages.ts';
import { decodeContextToken, encodeContextToken, type ContextTokenKey } from '../../core/version/context-token.ts';
import { liveSiblings } from '../../core/version/stored-object.ts';
import { describeValue } from '../../core/version/describe-value.ts';
import type { CausalContext } from '../../core/version/types.ts';

const { batchOpsMax, batchReplyValueBytesMax } = limits;

type Fields = Record<string, unknown>;

type ErrorBody = { code: string; message: string; detail?: Readonly<Record<string, unknown>> };
export type BatchResult = { key: string; siblings: { value: string; contentType: string; lastModifiedMs: number }[]; context?: string } | { key: string; context: string } | { key: unknown; error: ErrorBody };

const opFields: Readonly<Record<string, ReadonlySet<string>>> = {
  get: new Set(['op', 'key', 'r']),
  put: new Set(['op', 'key', 'value', 'contentType', 'context', 'w']),
  delete: new Set(['op', 'key', 'context', 'w']),
};

/** The batch's operations, checked for shape; throws for a body that is not a batch at all. */
export function batchOps(body: Fields): { ops: unknown[]; timeoutMs: number | undefined } {
  for (const field of Object.keys(body)) if (field !== 'ops' && field !== 'timeout') throw new KvorumError('bad_request', `unknown field ${JSON.stringify(field.slice(0, 40))} in a batch (allowed: ops, timeout)`);
  const { ops, timeout } = body;
  if (!Array.isArray(ops)) throw new KvorumError('bad_request', 'a batch is {"ops": [{"op": "get" | "put" | "delete", "key", …}, …]}');
  if (ops.length > batchOpsMax) throw new KvorumError('batch_too_large', `a batch holds at most ${batchOpsMax} operations, not ${ops.length}`, { batchOpsMax });
  if (timeout !== undefined && (!Number.isSafeInteger(timeout) || (timeout as number) < 1)) throw new KvorumError('bad_query', `timeout must be a positive integer of ms (got ${describeValue(timeout)})`);
  return { ops, timeoutMs: timeout as number | undefined };
}

/** Whether any operation may write (a put, a delete, or one that is not a get): then the caller needs write. */
export function batchWrites(ops: readonly unknown[]): boolean {
  return ops.some((op) => typeof op !== 'object' || op === null || (op as Fields).op !== 'get');
}

/** One operation as the request the core coordinates; throws KvorumError for its own result. */
export function batchRequest(bucket: string, op: unknown, timeoutMs: number | undefined, tokenKey: ContextTokenKey): ClientRequest {
  if (typeof op !== 'object' || op === null || Array.isArray(op)) throw new KvorumError('bad_request', `an operation must be an object, got ${describeValue(op)}`);
  const fields = op as Fields;
  const allowed = typeof fields.op === 'string' ? opFields[fields.op] : undefined;
  if (allowed === undefined) throw new KvorumError('bad_request', `op must be get, put or delete, got ${describeValue(fields.op)}`);
  for (const field of Object.keys(fields)) if (!allowed.has(field)) throw new KvorumError('bad_request', `unknown field ${JSON.stringify(field.slice(0, 40))} in a ${fields.op as string} (allowed: ${[...allowed].join(', ')})`);
  const { key } = fields;
  if (typeof key !== 'string') throw new KvorumError('bad_key', `key must be a string, got ${describeValue(key)}`);
  const quorum = (name: 'r' | 'w'): number | undefined => {
    const value = fields[name];
    if (value === undefined) return undefined;
    if (!Number.isSafeInteger(value)) throw new KvorumError('bad_query', `${name} must be an integer, got ${describeValue(value)}`);
    return value as number;
  };
  if (fields.op === 'get') return { kind: 'get', bucket, key, r: quorum('r'), timeoutMs };
  const context = contextOf(fields.context, bucket, key, tokenKey);
  if (fields.op === 'delete') return { kind: 'put', bucket, key, value: new Uint8Array(), contentType: '', deleted: true, context, w: quorum('w'), timeoutMs };
  if (typeof fields.value !== 'string') throw new KvorumError('bad_request', `value must be base64, got ${describeValue(fields.value)}`);
  const value = strictBase64(fields.value);
  const contentType = fields.contentType ?? 'application/octet-stream';
  if (typeof contentType !== 'string') throw new KvorumError('bad_request', `contentType must be a string, got ${describeValue(contentType)}`);
  return { kind: 'put', bucket, key, value, contentType, deleted: false, context, w: quorum('w'), timeoutMs };
}

function contextOf(token: unknown, bucket: string, key: string, tokenKey: ContextTokenKey): CausalContext | null {
  if (token === undefined || token === null || token === '') return null;
  if (typeof token !== 'string') throw new KvorumError('bad_context', `context must be a token string, got ${describeValue(token)}`);
  return decodeContextToken(token, { bucket, key }, tokenKey);
}

/** Standard base64 (what JSON answers carry), refusing anything else rather than dropping it. */
function strictBase64(text: string): Uint8Array {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) throw new KvorumError('bad_request', 'value must be base64 (RFC 4648 §4, padded)');
  return Buffer.from(text, 'base64');
}

/** Runs every operation at once; each gets its result or error, in order. */
export async function runBatch(
  bucket: string,
  ops: readonly unknown[],
  timeoutMs: number | undefined,
  tokenKey: ContextTokenKey,
  request: (request: ClientRequest) => Promise<ClientResult>,
): Promise<BatchResult[]> {
  // Counted as each get answers, not once all have: a value past the budget is dropped as it
  // arrives, so the batch never holds more than batchReplyValueBytesMax of values at once.
  let valueBytes = 0;
  const withinBudget = (result: ClientResult): ClientResult => {
    if (result.kind !== 'got' || result.object === null) return result;
    const bytes = liveSiblings(result.object).reduce((sum, sibling) => sum + sibling.value.byteLength, 0);
    if (valueBytes + bytes > batchReplyValueBytesMax) {
      const error = new KvorumError('value_too_large', `the batch's answer reached ${batchReplyValueBytesMax} bytes of values before this key's arrived: read it alone`, { batchReplyValueBytesMax });
      return { kind: 'error', ...error.toJSON() };
    }
    valueBytes += bytes;
    return result;
  };
  const outcomes = await Promise.all(
    ops.map(async (op) => {
      try {
        const parsed = batchRequest(bucket, op, timeoutMs, tokenKey);
        return { parsed, result: withinBudget(await request(parsed)) };
      } catch (error) {
        if (!(error instanceof KvorumError)) throw error;
        return { parsed: null, result: { kind: 'error' as const, ...error.toJSON() } };
      }
    }),
  );
  return outcomes.map(({ parsed, result }, i): BatchResult => {
    const key = parsed?.key ?? (ops[i] as Fields | null)?.key;
    if (result.kind === 'error' || parsed === null) return { key, error: errorBody(result.kind === 'error' ? result : new KvorumError('internal', `unexpected result ${result.kind}`)) };
    const target = { bucket, key: parsed.key };
    if (result.kind === 'stored') return { key: parsed.key, context: encodeContextToken(result.context, target, tokenKey) };
    if (result.kind !== 'got') return { key, error: errorBody(new KvorumError('internal', `unexpected result ${result.kind}`)) };
    const { object } = result;
    if (object === null) return { key: parsed.key, siblings: [] };
    const siblings = liveSiblings(object);
    return {
      key: parsed.key,
      siblings: siblings.map((s) => ({ value: Buffer.from(s.value.buffer, s.value.byteOffset, s.value.byteLength).toString('base64'), contentType: s.contentType, lastModifiedMs: s.lastModifiedMs })),
      context: encodeContextToken(object.context, target, tokenKey),
    };
  });
}

function errorBody(error: { code: string; message: string; detail?: Readonly<Record<string, unknown>> | undefined }): ErrorBody {
  const code = isErrorCode(error.code) ? error.code : 'internal';
  return error.detail === undefined ? { code, message: error.message } : { code, message: error.message, detail: error.detail };
}
