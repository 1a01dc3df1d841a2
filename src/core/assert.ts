/**
 * Assertions for programmer errors: always on, in production too (TigerBeetle style). An
 * assertion failing means the code is wrong, not the input; operating errors use KvorumError.
 */
export class AssertionError extends Error {
  override name = 'AssertionError';
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionError(message);
}

/** Ends every `switch` on a discriminant: the compiler proves all kinds are handled. */
export function unreachable(value: never, what = 'value'): never {
  throw new AssertionError(`unhandled ${what}: ${JSON.stringify(value)}`);
}
