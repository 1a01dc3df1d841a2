/**
 * Context tokens for tests that only need a round trip: one key and one target, so each test
 * need not make its own (context-token.test.ts tests keys and targets themselves).
 */
import { contextTokenKey, decodeContextToken, encodeContextToken } from './context-token.ts';
import type { CausalContext } from './types.ts';

export const testTokenKey = contextTokenKey('test', undefined);
export const testTokenTarget = { bucket: 'b', key: 'k' } as const;

export function encodeTestToken(ctx: CausalContext): string {
  return encodeContextToken(ctx, testTokenTarget, testTokenKey);
}

export function decodeTestToken(token: string): CausalContext {
  return decodeContextToken(token, testTokenTarget, testTokenKey);
}
