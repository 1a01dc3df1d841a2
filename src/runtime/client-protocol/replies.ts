/**
 * Reply frames of the binary client protocol (wire/client-protocol.ts) from the core's results.
 * A get answers its live siblings and, when anything is stored (a tombstone too), the context
 * token HTTP sends as X-Kvorum-Context: the same token, so contexts move between protocols.
 * Values go out as the bytes the node holds (msgpack bin), with no base64 as in HTTP's JSON.
 */
import type { KvorumError } from '../../core/errors.ts';
import type { ClientResult } from '../../core/messages.ts';
import { liveSiblings } from '../../core/version/stored-object.ts';
import { encodeContextToken, type ContextTokenKey, type TokenTarget } from '../../core/version/context-token.ts';
import type { BucketsReply, ClosingFrame, ErrorReply, GetReply, KeysReply, WireErrorBody, WriteReply } from '../../wire/client-protocol.ts';

/** The reply to the request on `target` (its context tokens are signed for that key, as HTTP's). */
export function replyOf(id: number, result: ClientResult, target: TokenTarget, tokenKey: ContextTokenKey): GetReply | WriteReply | KeysReply | BucketsReply | ErrorReply {
  switch (result.kind) {
    case 'error':
      return { id, error: errorBody(result) };
    case 'stored':
      return { id, context: encodeContextToken(result.context, target, tokenKey) };
    case 'got': {
      const { object } = result;
      if (object === null) return { id, siblings: [] };
      const siblings = liveSiblings(object).map(({ value, contentType, lastModifiedMs }) => ({ value, contentType, lastModifiedMs }));
      return { id, siblings, context: encodeContextToken(object.context, target, tokenKey) };
    }
    case 'keys':
      return result.next === null ? { id, keys: result.keys } : { id, keys: result.keys, next: result.next };
    case 'buckets':
      return { id, buckets: result.buckets, truncated: result.truncated };
  }
}

export function errorReply(id: number, error: KvorumError): ErrorReply {
  return { id, error: errorBody(error) };
}

export function closingFrame(code: WireErrorBody['code'], message: string, detail?: Readonly<Record<string, unknown>>): ClosingFrame {
  return { error: detail === undefined ? { code, message } : { code, message, detail } };
}

function errorBody(error: { readonly code: string; readonly message: string; readonly detail?: Readonly<Record<string, unknown>> | undefined }): WireErrorBody {
  return error.detail === undefined ? { code: error.code, message: error.message } : { code: error.code, message: error.message, detail: error.detail };
}
