/**
 * A node's writer id is its name plus the incarnation of its data directory, made once when the
 * directory is first used. A node whose disk was wiped comes back as a new writer: otherwise it
 * would count its version dots from 1 again and reuse dots that name other values on other
 * replicas — two different writes under one name, one of them silently lost (Riak learned this
 * with vnode ids; see "Vector clocks revisited").
 */
import { randomBytes } from 'node:crypto';
import type { StorageEngine } from '../storage/engine.ts';
import { metaKey } from '../storage/keys.ts';

const incarnationKey = metaKey('incarnation');

/** The data directory's incarnation; `created` when this call made it (a new disk). */
export async function loadOrCreateIncarnation(engine: StorageEngine): Promise<{ incarnation: string; created: boolean }> {
  const stored = engine.get(incarnationKey);
  if (stored && stored.byteLength > 0) return { incarnation: Buffer.from(stored).toString('utf8'), created: false };
  const incarnation = randomBytes(4).toString('hex');
  await engine.put(incarnationKey, Buffer.from(incarnation, 'utf8'));
  return { incarnation, created: true };
}

export function actorOf(nodeName: string, incarnation: string): string {
  return `${nodeName}.${incarnation}`;
}
