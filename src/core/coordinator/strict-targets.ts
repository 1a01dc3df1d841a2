/**
 * A put's targets under a strict quorum (hinted handoff off, NodeConfig.hintedHandoff): the
 * key's reachable primaries, and nobody standing in for the others — no fallback, no hint. The
 * coordinator is always a target (it made the version in its own store): as a primary, or, when
 * it is outside the list — a put forwarded to it under a view it does not share, its ring having
 * moved the key elsewhere since the forwarder chose it — as an extra copy of its own after them,
 * which the stray sweep hands to the replicas (docs/membership.md), as under sloppy quorum
 * (sloppy-targets.ts). Refusing that put instead failed a write while W primaries were reachable.
 */
import type { SloppyTarget } from './sloppy-targets.ts';

export function strictTargets(primaries: readonly string[], isReachable: (node: string) => boolean, self: string): SloppyTarget[] {
  const targets = primaries.filter((node) => node === self || isReachable(node)).map((node) => ({ node, hintFor: undefined }));
  return primaries.includes(self) ? targets : [...targets, { node: self, hintFor: undefined }];
}
