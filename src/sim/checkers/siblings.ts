/**
 * Sibling sanity (DESIGN §2.4, syntactic reconciliation): no get returns two siblings of which
 * one descends from the other — the older must have been dropped. Checked on every get result
 * and on the final objects.
 */
import { formatDot } from '../../core/version/actor.ts';
import type { GotSibling, History } from '../history.ts';
import type { SimWorld } from '../world.ts';
import { replicaStates } from './replicas.ts';
import { descends, type VersionIndex } from './versions.ts';
import type { Violation } from './violation.ts';

export function checkSiblings(world: SimWorld, history: History, index: VersionIndex): Violation[] {
  const violations: Violation[] = [];
  for (const entry of history.entries) {
    const problem = entry.got ? redundantPair(index, entry.bucket, entry.key, entry.got.siblings) : null;
    if (problem) violations.push({ checker: 'siblings', message: `get #${entry.id} returned ${problem}`, key: entry.key, entryIds: [entry.id] });
  }
  const keys = new Set(history.entries.map((entry) => `${entry.bucket}\u0000${entry.key}`));
  for (const id of keys) {
    const [bucket, key] = id.split('\u0000') as [string, string];
    for (const { node, object } of replicaStates(world, bucket, key)) {
      const siblings = object?.siblings.map((sibling) => ({ dot: sibling.dot, label: '', deleted: sibling.deleted })) ?? [];
      const problem = redundantPair(index, bucket, key, siblings);
      if (problem) violations.push({ checker: 'siblings', message: `at the end ${node} holds ${problem}`, key, entryIds: [] });
    }
  }
  return violations;
}

function redundantPair(index: VersionIndex, bucket: string, key: string, siblings: readonly GotSibling[]): string | null {
  for (const newer of siblings) {
    const info = index.byDot(bucket, key, newer.dot);
    if (info === undefined) continue; // unknown dots are the phantom checker's business
    for (const older of siblings) {
      if (older === newer || !descends(info, older.dot)) continue;
      const olderInfo = index.byDot(bucket, key, older.dot);
      return `${info.version.label} ${formatDot(newer.dot)} beside ${olderInfo?.version.label ?? '?'} ${formatDot(older.dot)}, though ${info.version.label} was written with a context that had seen it`;
    }
  }
  return null;
}
