/**
 * Operating errors: bad input, missed quorums, unreachable peers. Each has a stable code that
 * the HTTP API returns as `{"error": {"code", "message"}}` and the client raises as KvorumError.
 * Codes are part of the public contract (docs/api.md); add new ones, never rename.
 */
export const errorCodes = {
  bad_bucket: 400,
  bad_key: 400,
  bad_context: 400,
  bad_query: 400,
  bad_request: 400,
  bad_bucket_props: 400,
  bad_config: 400,
  value_too_large: 413,
  not_found: 404,
  too_many_siblings: 409,
  quorum_not_met: 503,
  timeout: 504,
  unavailable: 503,
  overloaded: 503,
  internal: 500,
  /** The request (headers and body) did not arrive within the HTTP request timeout. */
  request_timeout: 408,
  /** The request line and headers are larger than the HTTP API takes. */
  headers_too_large: 431,
  /** A Content-Type header that is not a media type. */
  unsupported_media_type: 415,
  /** No token, or one the node does not know, where tokens are required (docs/security.md). */
  unauthorized: 401,
  /** A valid token whose roles do not allow the request. */
  forbidden: 403,
  /** A bucket's N may change only while it holds no keys (PUT /v1/buckets/{bucket}). */
  bucket_not_empty: 409,
  /** A batch request over its limits of operations or bytes. */
  batch_too_large: 413,
} as const;

export type ErrorCode = keyof typeof errorCodes;

/** Numbers a quorum failure reports: how many answers were needed and how many came. */
export interface QuorumDetail {
  /** pr and pw: replies or stores required from primaries (not fallbacks) of the preference list. */
  readonly quorum: 'r' | 'w' | 'pr' | 'pw';
  readonly required: number;
  readonly received: number;
}

export class KvorumError extends Error {
  override name = 'KvorumError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly detail?: Readonly<Record<string, unknown>>,
  ) {
    super(message);
  }

  get httpStatus(): number {
    return errorCodes[this.code];
  }

  toJSON(): { code: ErrorCode; message: string; detail?: Readonly<Record<string, unknown>> } {
    return this.detail ? { code: this.code, message: this.message, detail: this.detail } : { code: this.code, message: this.message };
  }
}

export function quorumNotMet(detail: QuorumDetail): KvorumError {
  const verb = detail.quorum === 'r' || detail.quorum === 'pr' ? 'read' : 'write';
  return new KvorumError(
    'quorum_not_met',
    `${verb} quorum not met: ${detail.quorum}=${detail.required} required, ${detail.received} replied`,
    { ...detail },
  );
}

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(errorCodes, code);
}
