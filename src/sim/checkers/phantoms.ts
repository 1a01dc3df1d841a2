/**
 * No phantoms: every value a get returned was written by some client — its label was issued
 * by a client write of that key, its dot is one a coordinator made for that very write, and a
 * tombstone is a delete's. (The oracle checks the same of every object that reaches a disk.)
 */
import { formatDot } from '../model/index.ts';
import type { History } from '../history.ts';
import type { VersionIndex } from './versions.ts';
import type { Violation } from './violation.ts';

export function checkPhantoms(history: History, index: VersionIndex): Violation[] {
  const violations: Violation[] = [];
  for (const entry of history.entries) {
    for (const sibling of entry.got?.siblings ?? []) {
      const problem = siblingProblem(index, entry.bucket, entry.key, sibling);
      if (problem === null) continue;
      const writer = index.entryOf(sibling.label);
      violations.push({ checker: 'phantoms', message: `get #${entry.id} returned ${problem}`, key: entry.key, entryIds: writer ? [entry.id, writer.id] : [entry.id] });
    }
  }
  return violations;
}

function siblingProblem(index: VersionIndex, bucket: string, key: string, sibling: { dot: readonly [string, number]; label: string; deleted: boolean }): string | null {
  const writer = index.entryOf(sibling.label);
  if (writer === undefined) return `value ${JSON.stringify(sibling.label)}, which no client wrote`;
  if (writer.bucket !== bucket || writer.key !== key) return `${sibling.label}, which was written to ${writer.bucket}/${writer.key}`;
  if (sibling.deleted !== (writer.kind === 'delete')) return `${sibling.label} as ${sibling.deleted ? 'a tombstone' : 'a value'}, but it was a ${writer.kind}`;
  const version = index.byDot(bucket, key, sibling.dot);
  if (version === undefined || version.version.label !== sibling.label) {
    return `${sibling.label} under dot ${formatDot(sibling.dot)}, which no coordinator made for that write`;
  }
  return null;
}
