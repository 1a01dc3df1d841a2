/**
 * Validation of what clients send. Bad input gets a clear, coded error and changes nothing
 * (DESIGN §2.7); runtimes call these before anything reaches a coordinator, and the node calls
 * them again so that the simulator and every runtime share one definition.
 */
import { KvorumError } from './errors.ts';
import { durabilities, limits, type BucketProps } from './limits.ts';

const bucketPattern = /^[A-Za-z0-9_.-]+$/;

export interface RequestLimits {
  readonly keyBytesMax: number;
  readonly valueBytesMax: number;
}

export const defaultRequestLimits: RequestLimits = {
  keyBytesMax: limits.keyBytesMax,
  valueBytesMax: limits.valueBytesMax,
};

export function validateBucket(bucket: string): void {
  if (bucket.length === 0 || bucket.length > limits.bucketBytesMax || !bucketPattern.test(bucket)) {
    throw new KvorumError(
      'bad_bucket',
      `bucket must be 1 to ${limits.bucketBytesMax} characters of A-Z a-z 0-9 _ . - (got ${JSON.stringify(bucket.slice(0, 80))})`,
    );
  }
}

export function validateKey(key: string, requestLimits: RequestLimits = defaultRequestLimits): void {
  const bytes = Buffer.byteLength(key, 'utf8');
  if (bytes === 0) throw new KvorumError('bad_key', 'key must not be empty');
  if (bytes > requestLimits.keyBytesMax) {
    throw new KvorumError('bad_key', `key is ${bytes} bytes; the limit is ${requestLimits.keyBytesMax} bytes`, {
      bytes,
      keyBytesMax: requestLimits.keyBytesMax,
    });
  }
  if (key.includes('\uFFFD')) throw new KvorumError('bad_key', 'key must be valid UTF-8');
}

export function validateValue(value: Uint8Array, contentType: string, requestLimits: RequestLimits = defaultRequestLimits): void {
  if (value.byteLength > requestLimits.valueBytesMax) {
    throw new KvorumError(
      'value_too_large',
      `value is ${value.byteLength} bytes; the limit is ${requestLimits.valueBytesMax} bytes`,
      { bytes: value.byteLength, valueBytesMax: requestLimits.valueBytesMax },
    );
  }
  if (contentType.length > limits.contentTypeBytesMax) {
    throw new KvorumError('bad_request', `content type is longer than ${limits.contentTypeBytesMax} characters`);
  }
}

/** A per-request R or W must lie in 1..N of the bucket. */
export function validateQuorum(name: 'r' | 'w', value: number | undefined, props: BucketProps): number {
  if (value === undefined) return props[name];
  if (!Number.isInteger(value) || value < 1 || value > props.n) {
    throw new KvorumError('bad_query', `${name} must be an integer from 1 to n=${props.n} (got ${value})`);
  }
  return value;
}

export function validateTimeout(timeoutMs: number | undefined, fallbackMs: number): number {
  if (timeoutMs === undefined) return fallbackMs;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > limits.requestTimeoutMsMax) {
    throw new KvorumError('bad_query', `timeout must be an integer from 1 to ${limits.requestTimeoutMsMax} ms (got ${timeoutMs})`);
  }
  return timeoutMs;
}

export function validateBucketProps(props: Partial<BucketProps>, base: BucketProps): BucketProps {
  const merged = { ...base, ...props };
  const { n, r, w, resolution, pr, pw, durability } = merged;
  const fail = (message: string): never => {
    throw new KvorumError('bad_bucket_props', message);
  };
  if (!Number.isInteger(n) || n < 1 || n > limits.nValMax) fail(`n must be an integer from 1 to ${limits.nValMax} (got ${n})`);
  if (!Number.isInteger(r) || r < 1 || r > n) fail(`r must be an integer from 1 to n=${n} (got ${r})`);
  if (!Number.isInteger(w) || w < 1 || w > n) fail(`w must be an integer from 1 to n=${n} (got ${w})`);
  if (resolution !== 'siblings' && resolution !== 'lww') fail(`resolution must be "siblings" or "lww" (got ${String(resolution)})`);
  if (!Number.isInteger(pr) || pr < 0 || pr > r) fail(`pr must be an integer from 0 to r=${r} (got ${pr})`);
  if (!Number.isInteger(pw) || pw < 0 || pw > w) fail(`pw must be an integer from 0 to w=${w} (got ${pw})`);
  if (!durabilities.includes(durability)) fail(`durability must be one of ${durabilities.map((d) => `"${d}"`).join(', ')} (got ${String(durability)})`);
  return { n, r, w, resolution, pr, pw, durability };
}
