/**
 * Hints drain (issue 4 §8): once faults end and the network heals, every hint a fallback kept for
 * an unreachable owner (Dynamo §4.6) is delivered to that owner and deleted. A hint still held at
 * the end of the liveness phase is a version some replica may never get from handoff.
 */
import type { SimWorld } from '../world.ts';
import type { Violation } from './violation.ts';

/** Every hint still held anywhere: node, key and owner. */
export function heldHints(world: SimWorld): { node: string; key: string; owner: string }[] {
  return world.nodeNames.flatMap((node) => world.disk(node).heldHints().map(({ key, owner }) => ({ node, key: key.split('\u0000')[2]!, owner })));
}

export function checkHintsDrained(world: SimWorld): Violation[] {
  return heldHints(world).map(({ node, key, owner }) => ({
    checker: 'hints',
    message: `at the end ${node} still holds a hint of ${key} for ${owner}`,
    key,
    entryIds: [],
  }));
}
