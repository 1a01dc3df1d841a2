/**
 * Convergence (DESIGN §2.2, §11): after the faults end and the liveness phase has run, every
 * replica of every key the run touched holds the same object — the same siblings and the same
 * causal context — or none holds it at all.
 */
import type { History } from '../history.ts';
import type { SimWorld } from '../world.ts';
import { replicaStates, replicasAgree } from './replicas.ts';
import type { Violation } from './violation.ts';
import { describeObject } from '../report.ts';

export function checkConvergence(world: SimWorld, history: History, withinMs: number): Violation[] {
  const violations: Violation[] = [];
  const keys = new Set(history.entries.map((entry) => `${entry.bucket}\u0000${entry.key}`));
  for (const id of keys) {
    const [bucket, key] = id.split('\u0000') as [string, string];
    const states = replicaStates(world, bucket, key);
    if (replicasAgree(states)) continue;
    const detail = states.map(({ node, object }) => `${node}: ${describeObject(object)}`).join('; ');
    violations.push({ checker: 'convergence', message: `replicas of ${bucket}/${key} still differ ${withinMs} ms after healing: ${detail}`, key, entryIds: [] });
  }
  return violations;
}
