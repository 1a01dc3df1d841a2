/** Request bodies the HTTP API takes as JSON objects (values themselves are raw bytes: app.ts). */
import { KvorumError } from '../../core/errors.ts';

/** The body as a JSON object; an empty body is `{}`; anything else is a KvorumError with `code`. */
export function jsonObjectBody(body: unknown, code: 'bad_request' | 'bad_bucket_props' = 'bad_request'): Record<string, unknown> {
  if (body === undefined || body === null || (Buffer.isBuffer(body) && body.length === 0)) return {};
  try {
    const parsed = JSON.parse(Buffer.isBuffer(body) ? body.toString('utf8') : String(body)) as unknown;
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // fall through to the error below
  }
  throw new KvorumError(code, 'expected a JSON object body');
}
