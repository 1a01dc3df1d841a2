/**
 * Assertions for programmer errors: always on, in production too (TigerBeetle style). An
 * assertion failing means the code is wrong, not the input; operating errors use KvorumError.
 */
export class AssertionError extends Error {
  override name = 'AssertionError';
}

/**
 * `message` is a constant: it is evaluated on every call, and a message built on every call
 * (a template with values, a description of one) costs the hot path even when nothing fails.
 * Where the message needs values, test the condition and call `assertFailed` (lint enforces it).
 */
export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionError(message);
}

/** An invariant tested by the caller does not hold: `if (!invariant) assertFailed(message)` builds the message only then. */
export function assertFailed(message: string): never {
  throw new AssertionError(message);
}

/** Ends every `switch` on a discriminant: the compiler proves all kinds are handled. */
export function unreachable(value: never, what = 'value'): never {
  throw new AssertionError(`unhandled ${what}: ${JSON.stringify(value)}`);
}
