/**
 * The liveness phase's wait for membership: after a join or leave under load, every node must
 * come to hold the same view with no transition running (transfers done, gossip spread: Dynamo
 * §4.8, §4.9) before convergence is judged against the ring they agree on.
 */
import { inTransition } from '../core/membership/view.ts';
import { sameView } from '../core/membership/view-merge.ts';
import type { SimWorld } from './world.ts';

/** Simulated time membership gets to settle: many gossip rounds (one a second). */
export const membershipSettleMsMax = 30_000;
const settleStepMs = 100;

export interface MembershipSettleResult {
  readonly settled: boolean;
  readonly elapsedMs: number;
}

export function settleMembership(world: SimWorld): MembershipSettleResult {
  const startMs = world.nowMs;
  while (!membershipSettled(world)) {
    if (world.nowMs - startMs >= membershipSettleMsMax) return { settled: false, elapsedMs: world.nowMs - startMs };
    world.runUntil(world.nowMs + settleStepMs);
  }
  return { settled: true, elapsedMs: world.nowMs - startMs };
}

export function membershipSettled(world: SimWorld): boolean {
  const views = world.nodeNames.map((name) => world.viewOf(name)).filter((view) => view !== null);
  const first = views[0];
  return first !== undefined && !inTransition(first) && views.every((view) => sameView(view, first));
}
